"""Delete every cached LLM response (`llm:response:*`), by SCAN, never KEYS."""

from npcs.runtime.command_base import RuntimeCommand
from npcs.runtime.services import runtime_llm_cache_flush


class Command(RuntimeCommand):
    help = "Flush the engine's LLM response cache (llm:response:*)."

    def handle(self, *args, **options):
        entries = self.runtime.flush_llm_cache(dry_run=True)
        if options["dry_run"]:
            self.summary(options, f"deleted {entries} cached LLM responses.")
            return
        if not entries:
            self.summary(options, "Nothing to flush: the LLM cache is empty.")
            return
        if not self.confirm(options, f"Delete {entries} cached LLM responses?"):
            return
        deleted = runtime_llm_cache_flush(by_user="manage.py runtime_flush_llm_cache", runtime=self.runtime)
        self.summary(options, f"Deleted {deleted} cached LLM responses.")
