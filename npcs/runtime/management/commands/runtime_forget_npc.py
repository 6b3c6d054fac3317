"""Remove one NPC from the engine's runtime: state, active mark, rate limit, queued decisions."""

from npcadmin import audit
from npcs.runtime.command_base import RuntimeCommand


class Command(RuntimeCommand):
    help = "Forget one NPC's runtime keys: npc:state, npc:active, ratelimit:llm and its queued decisions."

    def add_arguments(self, parser):
        parser.add_argument("npc_id", type=int)

    def handle(self, *args, npc_id, **options):
        found = self.runtime.forget_npc(npc_id, dry_run=True)
        described = ", ".join(f"{name} {count}" for name, count in found.items())
        if options["dry_run"]:
            self.summary(options, f"removed for NPC {npc_id}: {described}.")
            return
        if not any(found.values()):
            self.summary(options, f"NPC {npc_id} has nothing in the runtime.")
            return
        if not self.confirm(options, f"Remove NPC {npc_id}'s runtime keys ({described})?"):
            return
        removed = self.runtime.forget_npc(npc_id)
        audit.record(actor="unknown", via="command", action="runtime.forget_npc", object_type="runtime.npc",
                     object_id=npc_id, detail={"removed": removed})
        self.summary(options, "Removed for NPC {}: {}.".format(
            npc_id, ", ".join(f"{name} {count}" for name, count in removed.items())))
