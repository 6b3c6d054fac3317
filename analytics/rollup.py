"""Incremental refresh of the native `npc_metrics_hourly_by_world` and `npc_metrics_world_hourly` rollup tables.

The statement triggers on `npc_metrics` write each changed hour into `npc_metrics_hourly_dirty`.
A refresh takes every dirty hour, recomputes exactly those buckets from the raw rows (the SQL of
`analytics.storage.aggregate_select`) and moves the watermark to the start of the current hour.
The world-level table is recomputed for the same hours, from the NPC rows just written, in the
same transaction. The current hour is materialized too (as far as it has been written), so plain
SQL on the table sees it after a refresh; the selectors nevertheless answer hours at or after the
watermark, and hours written since the refresh, from the raw table, like TimescaleDB's real-time
aggregation.
On TimescaleDB the refresh is delegated to `refresh_continuous_aggregate`.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, transaction
from django.utils import timezone

from analytics.storage import (
    HOUR_BUCKET_NATIVE,
    HOURLY_COLUMN_NAMES,
    TIMESCALEDB,
    WORLD_COLUMN_NAMES,
    aggregate_select,
    metrics_backend,
    world_select,
)

logger = logging.getLogger(__name__)

# Two refreshes at once would recompute the same buckets; the second waits for the first.
_REFRESH_LOCK = 7_420_001
BATCH_HOURS = 168


@dataclass(frozen=True)
class RefreshResult:
    buckets: int
    rows: int
    watermark: datetime.datetime | None
    pending: int
    # TimescaleDB: the window handed to refresh_continuous_aggregate (None = open end).
    window: tuple[datetime.datetime | None, datetime.datetime | None] | None = None
    backend: str = "native"
    # TimescaleDB inside a transaction block: refresh_continuous_aggregate cannot run there.
    deferred: bool = False

    def describe(self) -> str:
        """What the refresh did, in the backend's own terms (for commands and logs)."""
        if self.backend == TIMESCALEDB:
            first, stop = self.window or (None, None)
            span = f"{_fmt(first) if first else 'the beginning'} to {_fmt(stop) if stop else 'now'}"
            if self.deferred:
                return (f"timescaledb: NOT refreshed ({span}): called inside a transaction; "
                        "run `manage.py refresh_metrics_hourly` (hours after the watermark show anyway)")
            return (f"timescaledb: refreshed the continuous aggregates npc_metrics_hourly, "
                    f"npc_metrics_hourly_by_world from {span}; materialised up to "
                    f"{_fmt(self.watermark) if self.watermark else 'nothing yet'} (newer hours: real-time aggregation)")
        return (f"native: rolled up {self.buckets} hours ({self.rows} rows); watermark "
                f"{_fmt(self.watermark) if self.watermark else '-'}; {self.pending} hours written meanwhile")


def _fmt(moment: datetime.datetime) -> str:
    return f"{moment.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC"


def hour_floor(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


def watermark(using: str = "default") -> datetime.datetime | None:
    """Start of the first hour the rollup does not hold (None on TimescaleDB, or never refreshed)."""
    if metrics_backend(using) == TIMESCALEDB:
        return None
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT watermark FROM npc_metrics_hourly_watermark")
        row = cursor.fetchone()
    return row[0] if row else None


def dirty_hours(using: str = "default", before: datetime.datetime | None = None) -> list[datetime.datetime]:
    """Native backend: hours changed since their rollup (TimescaleDB keeps its own invalidation log: [])."""
    if metrics_backend(using) == TIMESCALEDB:
        return []
    with connections[using].cursor() as cursor:
        if before is None:
            cursor.execute("SELECT hour FROM npc_metrics_hourly_dirty ORDER BY hour")
        else:
            cursor.execute("SELECT hour FROM npc_metrics_hourly_dirty WHERE hour < %s ORDER BY hour", [before])
        return [row[0] for row in cursor.fetchall()]


REFRESH_SQL = f"""
WITH fresh AS (
    {aggregate_select(HOUR_BUCKET_NATIVE, "WHERE time >= %(first)s AND time < %(stop)s AND "
                      # A hashed semi-join: `= ANY(array)` would compare every row with every hour.
                      + HOUR_BUCKET_NATIVE + " IN (SELECT unnest(%(hours)s::timestamptz[]))")}
)
INSERT INTO npc_metrics_hourly_by_world ({", ".join(HOURLY_COLUMN_NAMES)})
SELECT {", ".join(HOURLY_COLUMN_NAMES)} FROM fresh
"""

# The world-level rollup of the same hours, from the NPC rows just written.
WORLD_REFRESH_SQL = (
    f"INSERT INTO npc_metrics_world_hourly ({', '.join(WORLD_COLUMN_NAMES)}) "
    + world_select("npc_metrics_hourly_by_world", "WHERE hour = ANY(%(hours)s)")
)


def refresh_metrics_hourly(
    *,
    now: datetime.datetime | None = None,
    using: str = "default",
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> RefreshResult:
    """Roll up every dirty hour (and every hour of [since, until) when given); advance the watermark.

    TimescaleDB: `refresh_continuous_aggregate` over [since, until) (open ends when None), which
    must run outside a transaction block.
    """
    now = now or timezone.now()
    current_hour = hour_floor(now)
    if metrics_backend(using) == TIMESCALEDB:
        return _refresh_timescale(current_hour, using, dry_run, since, until)

    if since is not None or until is not None:
        _mark_dirty(using, since, until, dry_run)
    hours = dirty_hours(using)
    if dry_run:
        return RefreshResult(len(hours), 0, current_hour, len(hours))
    rows = 0
    for start in range(0, len(hours), BATCH_HOURS):
        batch = hours[start : start + BATCH_HOURS]
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REFRESH_LOCK])
            # Claim the buckets first: a write landing after this point marks its hour dirty again.
            cursor.execute("DELETE FROM npc_metrics_hourly_dirty WHERE hour = ANY(%s) RETURNING hour", [batch])
            claimed = sorted(row[0] for row in cursor.fetchall())
            if not claimed:
                continue
            cursor.execute("DELETE FROM npc_metrics_hourly_by_world WHERE hour = ANY(%s)", [claimed])
            cursor.execute(REFRESH_SQL, {
                "first": claimed[0], "stop": claimed[-1] + datetime.timedelta(hours=1), "hours": claimed,
            })
            rows += cursor.rowcount
            cursor.execute("DELETE FROM npc_metrics_world_hourly WHERE hour = ANY(%s)", [claimed])
            cursor.execute(WORLD_REFRESH_SQL, {"hours": claimed})
        if progress:
            progress(min(start + BATCH_HOURS, len(hours)), len(hours))
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(
            "UPDATE npc_metrics_hourly_watermark SET watermark = GREATEST(watermark, %s), "
            "refreshed_at = now(), buckets_refreshed = %s",
            [current_hour, len(hours)],
        )
    return RefreshResult(len(hours), rows, current_hour, len(dirty_hours(using)), window=(since, until))


def _mark_dirty(using: str, since, until, dry_run: bool) -> None:
    """Native: recompute every hour of [since, until) that has samples (a forced refresh of a range)."""
    if dry_run:
        return
    clauses, params = [], []
    if since is not None:
        clauses.append("time >= %s")
        params.append(hour_floor(since))
    if until is not None:
        clauses.append("time < %s")
        params.append(until)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with connections[using].cursor() as cursor:
        cursor.execute(f"INSERT INTO npc_metrics_hourly_dirty (hour) SELECT DISTINCT {HOUR_BUCKET_NATIVE} "
                       f"FROM npc_metrics {where} ON CONFLICT DO NOTHING", params)


# Refreshed in this order: the world level is a continuous aggregate on top of the NPC-world one.
TIMESCALE_CAGGS = ("npc_metrics_hourly", "npc_metrics_hourly_by_world", "npc_metrics_world_hourly")


def timescale_watermark(using: str = "default", view: str = "npc_metrics_hourly_by_world"):
    """TimescaleDB: end of what a continuous aggregate has materialised (None: nothing yet)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN w < TIMESTAMPTZ '1900-01-01 00:00+00' THEN NULL ELSE w END FROM ("
            " SELECT _timescaledb_functions.to_timestamp(_timescaledb_functions.cagg_watermark(mat_hypertable_id)) AS w"
            " FROM _timescaledb_catalog.continuous_agg WHERE user_view_name = %s"
            " AND user_view_schema = current_schema()) s",
            [view],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _oldest_chunk_start(using: str):
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT min(range_start) FROM timescaledb_information.chunks "
                       "WHERE hypertable_schema = current_schema() AND hypertable_name = 'npc_metrics'")
        return cursor.fetchone()[0]


def _refresh_timescale(current_hour, using, dry_run, since, until) -> RefreshResult:
    # Never materialise the hour in progress: samples written later in it would sit below the
    # watermark, invisible to real-time aggregation, until the next refresh (the policy's
    # end_offset of 1 hour would not come back for it). Real-time aggregation answers it instead.
    window_end = current_hour if until is None else min(until, current_hour)
    first = hour_floor(since) if since is not None else None
    # Never refresh hours older than the oldest raw chunk: drop_chunks (retention) logs an
    # invalidation for what it drops, and a refresh there would empty the aggregates of hours
    # they are meant to outlive (analytics/policies.py). With no chunk left (TRUNCATE) it must.
    oldest = _oldest_chunk_start(using)
    if oldest is not None and (first is None or first < oldest):
        first = oldest
    if first is not None and first >= window_end:
        return RefreshResult(0, 0, None if dry_run else timescale_watermark(using), 0,
                             window=(first, window_end), backend=TIMESCALEDB)
    if not dry_run:
        connection = connections[using]
        if connection.in_atomic_block:
            logger.warning("npc_metrics: continuous aggregates not refreshed (inside a transaction block)")
            return RefreshResult(0, 0, timescale_watermark(using), 0, window=(first, window_end),
                                 backend=TIMESCALEDB, deferred=True)
        with connection.cursor() as cursor:
            for view in TIMESCALE_CAGGS:
                cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [view])
                if cursor.fetchone()[0]:
                    cursor.execute("CALL refresh_continuous_aggregate(%s, %s, %s)", [view, first, window_end])
    mark = timescale_watermark(using) if not dry_run else None
    return RefreshResult(0, 0, mark, 0, window=(first, window_end), backend=TIMESCALEDB)
