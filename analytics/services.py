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
    through_now: bool = False,
) -> tuple[int, int]:
    """Generate `days` of samples ending at `end` for the NPCs with a world state; return (npcs, rows).

    `end` is floored to the hour and excluded; with `through_now` the samples step back from the
    current minute instead, the last one *at* it, so every range ending now ("last hour") has data.
    """
    if through_now:
        now = (end or timezone.now()).replace(second=0, microsecond=0)
        end = now + datetime.timedelta(seconds=1)
        start = now - datetime.timedelta(days=days)
    else:
        end = rollup.hour_floor(end or timezone.now())
        start = end - datetime.timedelta(days=days)
    subjects = generator.subjects_for(metric_subjects(npc_ids=npc_ids, world_id=world_id))
    steps = int((end - start) / interval)
    if dry_run or not subjects:
        return len(subjects), len(subjects) * steps
    rows = generator.generate_rows(subjects, start=start, end=end, interval=interval, rng_seed=rng_seed,
                                   competitors=rank_competitors(subjects))
    result = ingest.copy_rows(rows, using=using, progress=progress)
    analytics_cache_bump()
    return len(subjects), result.rows


def rank_competitors(subjects) -> dict[str, list[int]]:
    """Populations of each world's NPCs that are not among `subjects` (they rank alongside them)."""
    from npcs.models import NPCWorldState

    chosen = {(s.npc_id, s.world_id) for s in subjects}
    worlds = {s.world_id for s in subjects}
    others: dict[str, list[int]] = {}
    for npc_id, world, population in NPCWorldState.objects.filter(world_id__in=worlds).values_list(
            "npc_id", "world_id", "total_population"):
        if (npc_id, world) not in chosen:
            others.setdefault(world, []).append(population or 0)
    return others


def world_states_from_latest_samples(*, using: str = "default") -> int:
    """The demo's world states agree with its metrics: population from each NPC's latest sample,
    then every world re-ranked by population (the rank the latest sample carries). Returns rows."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("""
            WITH latest AS (
                SELECT DISTINCT ON (npc_id) npc_id, world_id, population FROM npc_metrics
                ORDER BY npc_id, time DESC)
            UPDATE npc_world_state s SET total_population = latest.population
            FROM latest WHERE s.npc_id = latest.npc_id AND s.world_id = latest.world_id""")
        updated = cursor.rowcount
        cursor.execute("""
            UPDATE npc_world_state s SET rank = ranked.position
            FROM (SELECT id, row_number() OVER (PARTITION BY world_id ORDER BY total_population DESC, id)
                  AS position FROM npc_world_state) ranked
            WHERE s.id = ranked.id AND s.rank IS DISTINCT FROM ranked.position""")
    return updated


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
