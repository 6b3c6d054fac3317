"""Incremental refresh of the native `npc_metrics_hourly` and `npc_metrics_world_hourly` rollup tables.

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

# Two refreshes at once would recompute the same buckets; the second waits for the first.
_REFRESH_LOCK = 7_420_001
BATCH_HOURS = 168


@dataclass(frozen=True)
class RefreshResult:
    buckets: int
    rows: int
    watermark: datetime.datetime | None
    pending: int


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
INSERT INTO npc_metrics_hourly ({", ".join(HOURLY_COLUMN_NAMES)})
SELECT {", ".join(HOURLY_COLUMN_NAMES)} FROM fresh
"""

# The world-level rollup of the same hours, from the NPC rows just written.
WORLD_REFRESH_SQL = (
    f"INSERT INTO npc_metrics_world_hourly ({', '.join(WORLD_COLUMN_NAMES)}) "
    + world_select("npc_metrics_hourly", "WHERE hour = ANY(%(hours)s)")
)


def refresh_metrics_hourly(
    *,
    now: datetime.datetime | None = None,
    using: str = "default",
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RefreshResult:
    """Roll up every dirty hour and advance the watermark to the start of the current hour."""
    now = now or timezone.now()
    current_hour = hour_floor(now)
    if metrics_backend(using) == TIMESCALEDB:
        return _refresh_timescale(current_hour, using, dry_run)

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
            cursor.execute("DELETE FROM npc_metrics_hourly WHERE hour = ANY(%s)", [claimed])
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
    return RefreshResult(len(hours), rows, current_hour, len(dirty_hours(using)))


def _refresh_timescale(current_hour: datetime.datetime, using: str, dry_run: bool) -> RefreshResult:
    if not dry_run:
        # Outside a transaction: refresh_continuous_aggregate refuses to run inside one.
        with connections[using].cursor() as cursor:
            cursor.execute("CALL refresh_continuous_aggregate('npc_metrics_hourly', NULL, %s)", [current_hour])
    return RefreshResult(0, 0, current_hour, 0)
