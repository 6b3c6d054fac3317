"""Writes of the analytics app: loading and generating metric samples, refreshing the rollup."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from django.db import connections, transaction
from django.utils import timezone

from analytics import generator, ingest, partitions, rollup, storage
from analytics.cache import bump_cache_version as analytics_cache_bump
from analytics.selectors import metric_subjects


def metrics_ingest_csv(
    *,
    stream: Iterable[str],
    batch_rows: int = ingest.DEFAULT_BATCH_ROWS,
    skip_duplicates: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    using: str = "default",
) -> ingest.IngestResult:
    """Load a CSV of samples into npc_metrics with COPY, batch by batch."""
    result = ingest.ingest_csv(stream, using=using, batch_rows=batch_rows, skip_duplicates=skip_duplicates,
                               dry_run=dry_run, progress=progress)
    if not dry_run:
        analytics_cache_bump()
    return result


def metrics_generate(
    *,
    days: float,
    interval: datetime.timedelta,
    end: datetime.datetime | None = None,
    npc_ids: list[int] | None = None,
    world_id: str | None = None,
    rng_seed: int = 0,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    using: str = "default",
) -> tuple[int, int]:
    """Generate `days` of samples ending at `end` for the NPCs with a world state; return (npcs, rows)."""
    end = rollup.hour_floor(end or timezone.now())
    start = end - datetime.timedelta(days=days)
    subjects = generator.subjects_for(metric_subjects(npc_ids=npc_ids, world_id=world_id))
    steps = int((end - start) / interval)
    if dry_run or not subjects:
        return len(subjects), len(subjects) * steps
    rows = generator.generate_rows(subjects, start=start, end=end, interval=interval, rng_seed=rng_seed)
    result = ingest.copy_rows(rows, using=using, progress=progress)
    analytics_cache_bump()
    return len(subjects), result.rows


def metrics_delete(*, npc_ids: list[int] | None = None, using: str = "default") -> None:
    """Remove samples (all, or of some NPCs) and the rollup rows built from them."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        if npc_ids is None:
            # TRUNCATE fires no row/statement DELETE trigger: clear the derived tables by hand.
            cursor.execute("TRUNCATE npc_metrics")
            if storage.metrics_backend(using) != storage.TIMESCALEDB:
                cursor.execute("TRUNCATE npc_metrics_hourly, npc_metrics_world_hourly, npc_metrics_hourly_dirty")
        else:
            cursor.execute("DELETE FROM npc_metrics WHERE npc_id = ANY(%s)", [npc_ids])
    analytics_cache_bump()


def metrics_hourly_refresh(
    *, now: datetime.datetime | None = None, dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None, using: str = "default",
) -> rollup.RefreshResult:
    """Roll up the hour buckets changed since the last refresh (see analytics.rollup)."""
    result = rollup.refresh_metrics_hourly(now=now, using=using, dry_run=dry_run, progress=progress)
    if not dry_run:
        partitions.ensure_months_ahead((now or timezone.now()).date(), using=using)
        if result.buckets:
            analytics_cache_bump()
    return result
