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
    refresh: bool = True,
    progress: Callable[[int], None] | None = None,
    using: str = "default",
) -> tuple[ingest.IngestResult, rollup.RefreshResult | None]:
    """Load a CSV of samples into npc_metrics with COPY, batch by batch, then refresh the hours it covers.

    The refresh matters on TimescaleDB: a backfill older than the policy's window would otherwise
    never reach the continuous aggregate.
    """
    result = ingest.ingest_csv(stream, using=using, batch_rows=batch_rows, skip_duplicates=skip_duplicates,
                               dry_run=dry_run, progress=progress)
    refreshed = None
    if not dry_run and refresh and result.first is not None:
        refreshed = metrics_hourly_refresh(since=result.first, until=_hour_after(result.last), using=using)
    if not dry_run:
        analytics_cache_bump()
    return result, refreshed


def _hour_after(moment: datetime.datetime) -> datetime.datetime:
    return rollup.hour_floor(moment) + datetime.timedelta(hours=1)


def metrics_generate(
    *,
    days: float,
    interval: datetime.timedelta,
    end: datetime.datetime | None = None,
    npc_ids: list[int] | None = None,
    world_id: str | None = None,
    rng_seed: int = 0,
    dry_run: bool = False,
    refresh: bool = True,
    progress: Callable[[int], None] | None = None,
    using: str = "default",
    through_now: bool = False,
) -> tuple[int, int, rollup.RefreshResult | None]:
    """Generate `days` of samples ending at `end` for the NPCs with a world state, refresh that range.

    `end` is floored to the hour and excluded; with `through_now` the samples step back from the
    current minute instead, the last one *at* it, so every range ending now ("last hour") has data.
    Returns (npcs, rows, the refresh or None).
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
        return len(subjects), len(subjects) * steps, None
    rows = generator.generate_rows(subjects, start=start, end=end, interval=interval, rng_seed=rng_seed,
                                   competitors=rank_competitors(subjects))
    result = ingest.copy_rows(rows, using=using, progress=progress)
    refreshed = None
    if refresh and result.first is not None:
        refreshed = metrics_hourly_refresh(since=result.first, until=_hour_after(result.last), using=using)
    analytics_cache_bump()
    return len(subjects), result.rows, refreshed


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


def metrics_delete(*, npc_ids: list[int] | None = None, using: str = "default") -> rollup.RefreshResult | None:
    """Remove samples (all, or of some NPCs) and the aggregate rows built from them.

    Native: the rollup tables are cleared with them (TRUNCATE) or marked dirty by the DELETE
    trigger and refreshed. TimescaleDB: the continuous aggregates are refreshed over the range
    the deleted samples covered (outside the delete's transaction, as the extension requires).
    """
    is_timescale = storage.metrics_backend(using) == storage.TIMESCALEDB
    where, params = ("", []) if npc_ids is None else ("WHERE npc_id = ANY(%s)", [npc_ids])
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"SELECT min(time), max(time) FROM npc_metrics {where}", params)
        first, last = cursor.fetchone()
        if npc_ids is None:
            # TRUNCATE fires no row/statement DELETE trigger: clear the derived tables by hand.
            cursor.execute("TRUNCATE npc_metrics")
            if not is_timescale:
                cursor.execute(f"TRUNCATE {storage.BY_WORLD}, npc_metrics_world_hourly, npc_metrics_hourly_dirty")
        else:
            cursor.execute("DELETE FROM npc_metrics WHERE npc_id = ANY(%s)", [npc_ids])
    refreshed = None
    if first is not None and (is_timescale or npc_ids is not None):
        refreshed = metrics_hourly_refresh(since=first, until=_hour_after(last), using=using)
    analytics_cache_bump()
    return refreshed


def metrics_hourly_refresh(
    *, now: datetime.datetime | None = None, dry_run: bool = False,
    since: datetime.datetime | None = None, until: datetime.datetime | None = None,
    progress: Callable[[int, int], None] | None = None, using: str = "default",
) -> rollup.RefreshResult:
    """Refresh the hourly aggregates (native: changed hours; TimescaleDB: refresh_continuous_aggregate).

    Every refresh that ran invalidates the dashboard cache: on TimescaleDB nothing says how many
    buckets changed, and a stale chart for an hour is worse than one cache miss.
    """
    result = rollup.refresh_metrics_hourly(now=now, using=using, dry_run=dry_run, progress=progress,
                                           since=since, until=until)
    if not dry_run:
        partitions.ensure_months_ahead((now or timezone.now()).date(), using=using)
        analytics_cache_bump()
    return result
