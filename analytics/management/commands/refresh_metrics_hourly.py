"""Refresh the hourly aggregates of npc_metrics: changed hours (native) or the continuous aggregates."""

from __future__ import annotations

import datetime
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from analytics.rollup import dirty_hours
from analytics.services import metrics_hourly_refresh
from analytics.storage import TIMESCALEDB, metrics_backend


def _moment(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date or timestamp (e.g. 2026-11-02 or 2026-11-02T10:00+00:00)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


class Command(BaseCommand):
    help = ("Refresh npc_metrics_hourly and its per-world/world rollups. Native: every hour changed since "
            "the last run (cron, every few minutes). TimescaleDB: refresh_continuous_aggregate (the policy "
            "covers the last 3 days; use --since for older backfills). --since/--until force a range.")

    def add_arguments(self, parser):
        parser.add_argument("--since", type=_moment, help="refresh from this time (UTC unless a zone is given)")
        parser.add_argument("--until", type=_moment, help="refresh up to this time (exclusive)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be refreshed")

    def handle(self, *args, since, until, dry_run, verbosity, **options):
        if since and until and since >= until:
            raise CommandError("--since must be before --until")
        backend = metrics_backend()
        if dry_run:
            result = metrics_hourly_refresh(dry_run=True, since=since, until=until)
            what = f"{result.buckets} changed hours" if backend != TIMESCALEDB else "the continuous aggregates"
            self.stdout.write(f"{backend}: would refresh {what}")
            return
        bar = tqdm(total=len(dirty_hours()), unit=" hours", desc="rollup",
                   disable=verbosity < 1 or not sys.stderr.isatty() or backend == TIMESCALEDB)
        with bar:
            result = metrics_hourly_refresh(since=since, until=until,
                                            progress=lambda done, total: bar.update(done - bar.n))
        self.stdout.write(result.describe())
