"""Reset LLM rate-limit windows (`ratelimit:llm:{npc_id}`) of some NPCs, or of all."""

from django.core.management.base import CommandError

from npcs.runtime.command_base import RuntimeCommand
from npcs.runtime.services import runtime_ratelimit_reset


class Command(RuntimeCommand):
    help = "Reset the LLM rate limit of the given NPCs (or --all, or --at-limit)."

    def add_arguments(self, parser):
        parser.add_argument("npc_ids", nargs="*", type=int)
        parser.add_argument("--all", action="store_true", help="Every open window.")
        parser.add_argument("--at-limit", type=int, metavar="MAX",
                            help="Only windows whose count reached MAX (e.g. 10).")

    def handle(self, *args, npc_ids, **options):
        if not npc_ids and not options["all"] and options["at_limit"] is None:
            raise CommandError("name NPC ids, or use --all or --at-limit MAX")
        windows = {w.npc_id: w for w in self.runtime.rate_limits()}
        targets = [i for i in npc_ids if i in windows] if npc_ids else sorted(windows)
        if options["at_limit"] is not None:
            targets = [i for i in targets if windows[i].count >= options["at_limit"]]
        if options["dry_run"]:
            self.summary(options, f"reset {len(targets)} rate-limit windows {targets[:20]}.")
            return
        if len(targets) > 1 and not self.confirm(options, f"Reset {len(targets)} rate-limit windows?"):
            return
        reset = sum(1 for npc_id in targets
                    if runtime_ratelimit_reset(npc_id=npc_id, by_user="manage.py runtime_reset_ratelimit",
                                               runtime=self.runtime))
        self.summary(options, f"Reset {reset} rate-limit windows.")
