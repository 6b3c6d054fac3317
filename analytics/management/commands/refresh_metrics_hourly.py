"""Roll up the hours of npc_metrics changed since the last refresh into npc_metrics_hourly."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from analytics.rollup import dirty_hours
from analytics.services import metrics_hourly_refresh
from analytics.storage import TIMESCALEDB, metrics_backend


class Command(BaseCommand):
    help = ("Refresh npc_metrics_hourly incrementally (only hour buckets touched since the last run); "
            "run it every few minutes from cron/systemd. On TimescaleDB the policy does this already.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="say how many hours would be rolled up")

    def handle(self, *args, dry_run, verbosity, **options):
        backend = metrics_backend()
        if dry_run:
            result = metrics_hourly_refresh(dry_run=True)
            self.stdout.write(f"{backend}: would roll up {result.buckets} hours")
            return
        bar = tqdm(total=len(dirty_hours()), unit=" hours", desc="rollup",
                   disable=verbosity < 1 or not sys.stderr.isatty() or backend == TIMESCALEDB)
        with bar:
            result = metrics_hourly_refresh(progress=lambda done, total: bar.update(done - bar.n))
        self.stdout.write(f"{backend}: rolled up {result.buckets} hours ({result.rows} rows); "
                          f"watermark {result.watermark:%Y-%m-%d %H:%M} UTC; {result.pending} hours written meanwhile")
