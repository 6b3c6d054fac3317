"""Roll up the hours of npc_decisions changed since the last refresh (the decisions dashboard's rollup)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm

from analytics.decisions_rollup import refresh


class Command(BaseCommand):
    help = ("Refresh npc_decisions_hourly and npc_decisions_world_hourly incrementally (only hours changed "
            "since the last run; the first run rolls up the whole log); run it every few minutes from cron/systemd.")

    def handle(self, *args, verbosity, **options):
        with tqdm(unit=" hours", desc="decisions rollup", disable=verbosity < 1, file=self.stderr._out) as bar:
            hours = refresh(progress=bar.update)
        self.stdout.write(f"rolled up {hours} hours of npc_decisions")
