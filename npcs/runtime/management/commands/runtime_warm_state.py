"""Fill the engine's `npc:state` cache from the database's `npc_world_state`."""

from tqdm import tqdm

from npcs.runtime.command_base import RuntimeCommand
from npcs.runtime.services import runtime_warm_state


class Command(RuntimeCommand):
    help = ("Warm npc:state:{npc_id} (TTL 5 min) from npc_world_state, for the active, unpaused NPCs "
            "(each from its most recently updated world).")

    def add_arguments(self, parser):
        parser.add_argument("--world", help="Only NPCs' states in this world.")
        parser.add_argument("--npc", type=int, action="append", dest="npc_ids", help="Only this NPC (repeatable).")
        parser.add_argument("--include-inactive", action="store_true", help="Also inactive and paused NPCs.")

    def handle(self, *args, **options):
        with tqdm(desc="npc:state", unit=" NPC", disable=options["verbosity"] < 1, file=self.stderr) as bar:
            written = runtime_warm_state(world_id=options["world"], npc_ids=options["npc_ids"],
                                         include_inactive=options["include_inactive"], dry_run=options["dry_run"],
                                         runtime=self.runtime, progress=bar.update)
        self.summary(options, f"cached the state of {written} NPCs." if options["dry_run"]
                     else f"Cached the state of {written} NPCs (TTL 300 s).")
