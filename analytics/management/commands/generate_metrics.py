"""Fill npc_metrics with believable samples for the NPCs that have a world state."""

from __future__ import annotations

import datetime
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from analytics.services import metrics_generate


class Command(BaseCommand):
    help = "Generate N days of metrics (trends follow personality) ending now, then refresh the rollup."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=float, default=30, help="days of history (default 30)")
        parser.add_argument("--interval", type=int, default=15, help="minutes between samples (default 15)")
        parser.add_argument("--npc", type=int, action="append", dest="npc_ids", help="only this NPC (repeatable)")
        parser.add_argument("--world", help="only NPCs of this world")
        parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same data)")
        parser.add_argument("--no-refresh", action="store_true", help="do not refresh the hourly aggregates")
        parser.add_argument("--dry-run", action="store_true", help="say how many rows would be written")

    def handle(self, *args, days, interval, npc_ids, world, seed, no_refresh, dry_run, verbosity, **options):
        if days <= 0 or interval <= 0:
            raise CommandError("--days and --interval must be positive")
        step = datetime.timedelta(minutes=interval)
        with tqdm(unit=" rows", disable=verbosity < 1 or not sys.stderr.isatty(), desc="metrics") as bar:
            npcs, rows, refreshed = metrics_generate(days=days, interval=step, npc_ids=npc_ids, world_id=world,
                                                     rng_seed=seed, dry_run=dry_run, refresh=not no_refresh,
                                                     progress=bar.update)
        if not npcs:
            raise CommandError("no NPC with a world state matches; create NPCs first (seed_demo)")
        if dry_run:
            self.stdout.write(f"would write {rows} rows for {npcs} NPCs")
            return
        self.stdout.write(f"wrote {rows} rows for {npcs} NPCs")
        if refreshed is not None:
            self.stdout.write(refreshed.describe())
        else:
            self.stdout.write("not refreshed (--no-refresh): run refresh_metrics_hourly")
