"""Where hourly rows come from: the aggregates of either backend, plus the raw tail, as SQL to assemble.

`analytics.selectors` (what each dashboard reads) builds its queries on these. On the native
backend the hourly source is the rollup tables for refreshed hours plus the raw table, aggregated
by the same SQL, for hours at or after the watermark and for hours written since the last
refresh; on TimescaleDB it is the continuous aggregates, whose real-time aggregation does the
same. `raw_baseline()` answers everything from raw samples instead (the benchmarks' baseline).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections

from analytics.storage import (
    BY_WORLD,
    HOURLY_COLUMN_NAMES,
    TIMESCALEDB,
    aggregate_select,
    hour_bucket,
    metrics_backend,
)

ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"


def _fetch(sql: str, params, using: str = "default") -> list[dict]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        names = [col.name for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _metric_filters(world_id: str | None, npc_ids: Sequence[int] | None, params: dict) -> str:
    clauses = []
    if world_id:
        clauses.append("world_id = %(world_id)s")
        params["world_id"] = world_id
    if npc_ids:
        clauses.append("npc_id = ANY(%(npc_ids)s)")
        params["npc_ids"] = list(npc_ids)
    return "".join(f" AND {c}" for c in clauses)


def rollup_state(using: str = "default") -> tuple[datetime.datetime | None, list[datetime.datetime]]:
    """(watermark, dirty hours before it): what the rollup table cannot answer yet."""
    rows = _fetch(
        "SELECT w.watermark, ARRAY(SELECT hour FROM npc_metrics_hourly_dirty d "
        "WHERE d.hour < w.watermark ORDER BY hour) AS dirty FROM npc_metrics_hourly_watermark w",
        {}, using,
    )
    if not rows:
        return None, []
    return rows[0]["watermark"], list(rows[0]["dirty"] or [])


_raw_baseline: contextvars.ContextVar[bool] = contextvars.ContextVar("analytics_raw_baseline", default=False)


@contextlib.contextmanager
def raw_baseline():
    """Answer every hourly read by a GROUP BY of the raw samples, on either backend (benchmark baseline)."""
    token = _raw_baseline.set(True)
    try:
        yield
    finally:
        _raw_baseline.reset(token)


def raw_baseline_active() -> bool:
    return _raw_baseline.get()


@dataclass
class HourlyParts:
    """Where the hours of [start, end) come from (native backend), as SQL pieces to assemble.

    `rolled_where` selects the rolled-up hours of a rollup table (any table with `hour`, and the
    filter columns): refreshed and not dirty since. `raw` are queries aggregating the other hours
    from raw samples into `npc_metrics_hourly_by_world` rows. `rolled_where` is None when nothing is rolled
    up yet (every hour from raw).
    """

    rolled_where: str | None
    raw: list[str]
    params: dict


def hourly_parts(
    *,
    start: datetime.datetime,
    end: datetime.datetime,
    world_id: str | None = None,
    npc_ids: Sequence[int] | None = None,
    using: str = "default",
) -> HourlyParts:
    """Native backend: refreshed hours from the rollup tables, the rest from raw (one query, the watermark)."""
    params: dict = {"start": start, "end": end}
    where = _metric_filters(world_id, npc_ids, params)
    if _raw_baseline.get():
        params["tail_start"] = start
        return HourlyParts(None, [aggregate_select(hour_bucket(), "WHERE time >= %(tail_start)s AND time < %(end)s"
                                                   + where)], params)
    if metrics_backend(using) == TIMESCALEDB:
        # The continuous aggregates answer every hour themselves (real-time aggregation).
        return HourlyParts(f"hour >= %(start)s AND hour < %(end)s{where}", [], params)
    watermark, dirty = rollup_state(using)
    raw = aggregate_select(hour_bucket(), "WHERE time >= %(tail_start)s AND time < %(end)s" + where)
    if watermark is None:
        params["tail_start"] = start
        return HourlyParts(None, [raw], params)
    params.update(tail_start=max(start, watermark), rolled_end=min(end, watermark), dirty=dirty)
    rolled_where = (f"hour >= %(start)s AND hour < %(rolled_end)s"
                    f" AND hour NOT IN (SELECT unnest(%(dirty)s::timestamptz[])){where}")
    parts = [raw]
    dirty_in_range = [h for h in dirty if start <= h < end]
    if dirty_in_range:
        params.update(dirty_first=dirty_in_range[0], dirty_stop=dirty_in_range[-1] + datetime.timedelta(hours=1))
        parts.append(aggregate_select(
            hour_bucket(),
            "WHERE time >= %(dirty_first)s AND time < %(dirty_stop)s AND "
            f"{hour_bucket()} IN (SELECT unnest(%(dirty)s::timestamptz[])){where}",
        ))
    return HourlyParts(rolled_where, parts, params)


def timescale_materialized(view: str = BY_WORLD, using: str = "default") -> tuple[str, datetime.datetime | None]:
    """TimescaleDB: a continuous aggregate's materialization hypertable (quoted) and its watermark.

    Reading the hypertable directly (hours below the watermark) skips the real-time view's UNION
    with an aggregation of the raw tail, which a per-NPC probe would otherwise repeat 500 times.
    Same columns as the view (finalized continuous aggregates, TimescaleDB ≥ 2.7).
    """
    rows = _fetch(
        "SELECT format('%%I.%%I', h.schema_name, h.table_name) AS mat,"
        " CASE WHEN w < TIMESTAMPTZ '1900-01-01 00:00+00' THEN NULL ELSE w END AS watermark FROM ("
        " SELECT c.mat_hypertable_id, _timescaledb_functions.to_timestamp("
        "   _timescaledb_functions.cagg_watermark(c.mat_hypertable_id)) AS w"
        " FROM _timescaledb_catalog.continuous_agg c"
        " WHERE c.user_view_name = %(view)s AND c.user_view_schema = current_schema()) s"
        " JOIN _timescaledb_catalog.hypertable h ON h.id = s.mat_hypertable_id",
        {"view": view}, using)
    return rows[0]["mat"], rows[0]["watermark"]


def timescale_parts(
    *,
    start: datetime.datetime,
    end: datetime.datetime,
    world_id: str | None = None,
    npc_ids: Sequence[int] | None = None,
    using: str = "default",
) -> tuple[str, HourlyParts]:
    """TimescaleDB, like `hourly_parts`: (materialization table, its hours < watermark + the raw tail)."""
    table, watermark = timescale_materialized(BY_WORLD, using)
    params: dict = {"start": start, "end": end}
    where = _metric_filters(world_id, npc_ids, params)
    raw = aggregate_select(hour_bucket(), "WHERE time >= %(tail_start)s AND time < %(end)s" + where)
    if watermark is None:
        params["tail_start"] = start
        return table, HourlyParts(None, [raw], params)
    params.update(tail_start=max(start, watermark), rolled_end=min(end, watermark))
    return table, HourlyParts(f"hour >= %(start)s AND hour < %(rolled_end)s{where}", [raw], params)


def hourly_source(
    *,
    start: datetime.datetime,
    end: datetime.datetime,
    world_id: str | None = None,
    npc_ids: Sequence[int] | None = None,
    using: str = "default",
) -> tuple[str, dict]:
    """SQL (and params) yielding `npc_metrics_hourly_by_world` rows for hours in [start, end), always up to date.

    Native backend: refreshed hours from the rollup table, the rest aggregated from raw samples
    (hours ≥ watermark, and older hours changed since the refresh). Costs one query to read the
    watermark. TimescaleDB: the continuous aggregate (real-time aggregation is on).
    """
    columns = ", ".join(HOURLY_COLUMN_NAMES)
    if metrics_backend(using) == TIMESCALEDB and not _raw_baseline.get():
        params: dict = {"start": start, "end": end}
        where = _metric_filters(world_id, npc_ids, params)
        return (f"SELECT {columns} FROM {BY_WORLD} WHERE hour >= %(start)s AND hour < %(end)s{where}",
                params)
    parts = hourly_parts(start=start, end=end, world_id=world_id, npc_ids=npc_ids, using=using)
    queries = list(parts.raw)
    if parts.rolled_where is not None:
        queries.insert(0, f"SELECT {columns} FROM {BY_WORLD} WHERE {parts.rolled_where}")
    return "\nUNION ALL\n".join(f"({q})" for q in queries), parts.params


def fine_source(*, start, end, world_id=None, npc_ids=None) -> tuple[str, dict]:
    """Like `hourly_source` but in 5-minute buckets straight from raw samples (short ranges only)."""
    params: dict = {"tail_start": start, "end": end}
    where = _metric_filters(world_id, npc_ids, params)
    bucket = f"date_bin('5 minutes', time, {ORIGIN})"
    return aggregate_select(bucket, "WHERE time >= %(tail_start)s AND time < %(end)s" + where), params
