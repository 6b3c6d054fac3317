"""Hourly rollup of `npc_decisions` for the decisions dashboard, and what that dashboard reads.

Two tables, maintained like the metrics rollup (analytics/rollup.py): statement triggers on
`npc_decisions` log each changed hour in `npc_decisions_hourly_dirty`; `refresh()` recomputes
exactly those hours and moves the watermark to the start of the current hour.

- `npc_decisions_hourly`: one row per (hour, NPC, world, decision type, path) — counts,
  LLM calls, measured outcomes and successes, confidence sum, and two latency histograms.
- `npc_decisions_world_hourly`: the same per (hour, world, decision type), without the NPC and
  the path, summed from the first in the same transaction. At the engine's density (~2 decisions
  per NPC and hour in the generated data) the per-NPC table is nearly as large as the log itself;
  the world-level table (≤ worlds × 7 types rows an hour) is what makes the dashboard cheap.

*Path* is the mind's (docs/npc-mind.md): `rules`, `rules_overridden`, `llm_kept`, `llm_departed`.

**Histograms.** A latency of `ms` falls in bin `floor(ln(1 + ms) / ln(1.1))`; bin `b` holds
`[1.1^b − 1, 1.1^(b+1) − 1)` and is stored sparsely (two arrays: bins, counts). A percentile read
from it is the bin's midpoint, within **5 %** of the true value (half the bin's relative width)
or 1 ms, whichever is larger. `exact=True` on `decision_stats_by_type` computes them with
`percentile_cont` from the raw rows instead (for a narrow range: it sorts every row).

**One definition.** The raw paths are the mind's LLM-usage selectors (`npcs.mind.usage`):
`measured` means an outcome measured *with* a result, as on the mind's decisions page.

**Both backends, the same tables.** On TimescaleDB too this is the trigger-maintained rollup, not
a continuous aggregate: a continuous aggregate needs `npc_decisions` to be a hypertable, and the
spec's table cannot become one without breaking its contract — every unique index of a hypertable
must contain the time column (the spec's `PRIMARY KEY (id)` would become `(id, created_at)`), the
time column becomes NOT NULL (the spec's `created_at` is nullable), and a continuous aggregate's
single GROUP BY cannot build the sparse histograms (two levels of grouping). See docs/analytics.md.

Every read takes the complete, refreshed, clean hours from the world-level table and the rest —
the partial hours at both ends of the range, hours at or after the watermark (the newest hour),
and dirty hours — from the raw log, so it always equals the raw answer (histogram error aside).
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict

from django.db import connections, transaction
from django.utils import timezone

from analytics import storage
from npcs.mind import usage

BIN_BASE = 1.1
PERCENTILE_ERROR = (BIN_BASE - 1) / 2  # 5 %
ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
_REFRESH_LOCK = 7_420_016
BATCH_HOURS = 168
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
KEY = ("world_id", "decision_type", "path")

# greatest() skips NULLs (greatest(NULL, 0) = 0): a missing latency must stay NULL, not fall in bin 0.
_BIN = "CASE WHEN {col} IS NOT NULL THEN floor(ln(1 + greatest({col}, 0)) / ln(" + repr(BIN_BASE) + "))::smallint END"
_DEPARTED = ("(d.rule_based_recommendation IS NOT NULL AND d.rule_based_recommendation <> 'null'::jsonb"
             " AND d.rule_based_recommendation IS DISTINCT FROM d.final_decision)")
_PATH = (f"CASE WHEN d.used_llm AND {_DEPARTED} THEN 'llm_departed' WHEN d.used_llm THEN 'llm_kept' "
         f"WHEN {_DEPARTED} THEN 'rules_overridden' ELSE 'rules' END")

COUNT_COLUMNS = ("decisions", "llm", "measured", "outcome_known", "successes", "confidence_sum", "confidence_n")
HIST_COLUMNS = ("latency_bins", "latency_counts", "llm_latency_bins", "llm_latency_counts")


def _table_sql(name: str, npc: bool) -> str:
    npc_column = "npc_id INTEGER,\n" if npc else ""
    path_column = "path VARCHAR(20) NOT NULL," if npc else ""
    key = "hour, npc_id, world_id, decision_type, path" if npc else "hour, world_id, decision_type"
    return f"""
    CREATE TABLE {name} (
        hour TIMESTAMPTZ NOT NULL,
        {npc_column}world_id VARCHAR(50) NOT NULL,
        decision_type VARCHAR(100) NOT NULL,
        {path_column}
        decisions INTEGER NOT NULL,
        llm INTEGER NOT NULL,
        measured INTEGER NOT NULL,
        outcome_known INTEGER NOT NULL,
        successes INTEGER NOT NULL,
        confidence_sum DOUBLE PRECISION NOT NULL,
        confidence_n INTEGER NOT NULL,
        latency_bins SMALLINT[] NOT NULL,
        latency_counts INTEGER[] NOT NULL,
        llm_latency_bins SMALLINT[] NOT NULL,
        llm_latency_counts INTEGER[] NOT NULL,
        CONSTRAINT {name}_key UNIQUE NULLS NOT DISTINCT ({key})
    )"""


CREATE_SQL = [
    _table_sql("npc_decisions_hourly", npc=True),
    # The per-NPC reads (the dashboard's "LLM calls per NPC").
    "CREATE INDEX npc_decisions_hourly_hour_npc_idx ON npc_decisions_hourly (hour, npc_id)",
    _table_sql("npc_decisions_world_hourly", npc=False),
    "CREATE TABLE npc_decisions_hourly_dirty (hour TIMESTAMPTZ PRIMARY KEY)",
    """
    CREATE TABLE npc_decisions_hourly_watermark (
        id BOOLEAN PRIMARY KEY DEFAULT TRUE CONSTRAINT npc_decisions_hourly_watermark_single_row CHECK (id),
        watermark TIMESTAMPTZ,
        refreshed_at TIMESTAMPTZ
    )""",
    "INSERT INTO npc_decisions_hourly_watermark DEFAULT VALUES",
    *storage.dirty_hours_trigger_sql(table="npc_decisions", column="created_at",
                                     dirty_table="npc_decisions_hourly_dirty", function="npc_decisions_mark_dirty"),
]

# The daily level (migration 0006): the same sums per UTC day, rebuilt from the hourly rows for
# every day a refresh touches. A 30-day range reads ~30 rows per world and type and ~30 per
# NPC instead of ~720 (the per-NPC hourly table is nearly as large as the log itself).
DAILY_CREATE_SQL = [
    "CREATE TABLE npc_decisions_world_daily (LIKE npc_decisions_world_hourly INCLUDING DEFAULTS)",
    "ALTER TABLE npc_decisions_world_daily RENAME COLUMN hour TO day",
    "ALTER TABLE npc_decisions_world_daily ADD CONSTRAINT npc_decisions_world_daily_key "
    "UNIQUE NULLS NOT DISTINCT (day, world_id, decision_type)",
    """
    CREATE TABLE npc_decisions_npc_daily (
        day TIMESTAMPTZ NOT NULL,
        npc_id INTEGER,
        world_id VARCHAR(50) NOT NULL,
        decisions INTEGER NOT NULL,
        llm INTEGER NOT NULL,
        CONSTRAINT npc_decisions_npc_daily_key UNIQUE NULLS NOT DISTINCT (day, npc_id, world_id)
    )""",
]
DAILY_DROP_SQL = [
    "DROP TABLE IF EXISTS npc_decisions_world_daily",
    "DROP TABLE IF EXISTS npc_decisions_npc_daily",
]

DROP_SQL = [
    "DROP TRIGGER IF EXISTS npc_decisions_dirty_insert ON npc_decisions",
    "DROP TRIGGER IF EXISTS npc_decisions_dirty_update ON npc_decisions",
    "DROP TRIGGER IF EXISTS npc_decisions_dirty_delete ON npc_decisions",
    "DROP FUNCTION IF EXISTS npc_decisions_mark_dirty()",
    "DROP TABLE IF EXISTS npc_decisions_hourly",
    "DROP TABLE IF EXISTS npc_decisions_world_hourly",
    "DROP TABLE IF EXISTS npc_decisions_hourly_dirty",
    "DROP TABLE IF EXISTS npc_decisions_hourly_watermark",
]


def _raw_rows_sql(where: str) -> str:
    """Per (hour, NPC, world, type, path) from raw rows matching `where` (alias d): the rollup's SQL."""
    key = "hour, npc_id, world_id, decision_type, path"
    return f"""
        WITH d AS (
            SELECT date_bin('1 hour', d.created_at, {ORIGIN}) AS hour, d.npc_id, d.world_id, d.decision_type,
                   {_PATH} AS path, d.used_llm, d.outcome_measured, d.outcome_success, d.decision_confidence,
                   {_BIN.format(col="d.decision_latency_ms")} AS lb,
                   CASE WHEN d.used_llm THEN {_BIN.format(col="d.llm_latency_ms")} END AS llb
            FROM npc_decisions d WHERE {where}
        ),
        base AS (
            SELECT {key}, count(*) AS decisions, count(*) FILTER (WHERE used_llm) AS llm,
                   count(*) FILTER (WHERE outcome_measured) AS measured,
                   count(*) FILTER (WHERE outcome_measured AND outcome_success IS NOT NULL) AS outcome_known,
                   count(*) FILTER (WHERE outcome_measured AND outcome_success) AS successes,
                   coalesce(sum(decision_confidence), 0) AS confidence_sum,
                   count(decision_confidence) AS confidence_n
            FROM d GROUP BY {key}
        ),
        lat AS (
            SELECT {key}, array_agg(lb ORDER BY lb) AS bins, array_agg(n ORDER BY lb) AS counts
            FROM (SELECT {key}, lb, count(*)::int AS n FROM d WHERE lb IS NOT NULL GROUP BY {key}, lb) x
            GROUP BY {key}
        ),
        llm AS (
            SELECT {key}, array_agg(llb ORDER BY llb) AS bins, array_agg(n ORDER BY llb) AS counts
            FROM (SELECT {key}, llb, count(*)::int AS n FROM d WHERE llb IS NOT NULL GROUP BY {key}, llb) x
            GROUP BY {key}
        )
        SELECT base.*, coalesce(lat.bins, '{{}}'), coalesce(lat.counts, '{{}}'),
               coalesce(llm.bins, '{{}}'), coalesce(llm.counts, '{{}}')
        FROM base
        LEFT JOIN lat USING (hour, npc_id, world_id, decision_type, path)
        LEFT JOIN llm USING (hour, npc_id, world_id, decision_type, path)
    """


def _merge_hist_sql(bins: str, counts: str, group: str, source: str) -> str:
    """Sum sparse histograms (`bins`, `counts` arrays) of `source` rows per `group`."""
    return f"""
        SELECT {group}, array_agg(b ORDER BY b) AS bins, array_agg(n ORDER BY b) AS counts FROM (
            SELECT {group}, u.b, sum(u.n)::int AS n
            FROM {source} s, unnest(s.{bins}, s.{counts}) AS u(b, n) GROUP BY {group}, u.b
        ) x GROUP BY {group}
    """


# --- maintenance ----------------------------------------------------------------------------------


def hour_floor(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


def day_floor(moment: datetime.datetime) -> datetime.datetime:
    return hour_floor(moment).replace(hour=0)


def state(using: str = "default") -> tuple[datetime.datetime | None, set[datetime.datetime]]:
    """(watermark, dirty hours before it): the rollup holds every hour < watermark not dirty."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT watermark FROM npc_decisions_hourly_watermark")
        row = cursor.fetchone()
        mark = row[0] if row else None
        if mark is None:
            return None, set()
        cursor.execute("SELECT hour FROM npc_decisions_hourly_dirty WHERE hour < %s", [mark])
        return mark, {r[0] for r in cursor.fetchall()}


def refresh(*, using: str = "default", now: datetime.datetime | None = None, progress=None) -> int:
    """Recompute the dirty hours before the current one and move the watermark; returns hours done.

    The first refresh (no watermark) rolls up every hour of the log. Batches of BATCH_HOURS
    hours, each in its own transaction, so a long first run holds no lock for long.
    """
    until = hour_floor(now or timezone.now())
    done = 0
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT watermark FROM npc_decisions_hourly_watermark")
        if cursor.fetchone()[0] is None:
            cursor.execute(f"""INSERT INTO npc_decisions_hourly_dirty (hour)
                SELECT DISTINCT date_bin('1 hour', created_at, {ORIGIN}) FROM npc_decisions
                WHERE created_at < %s ON CONFLICT DO NOTHING""", [until])
    while True:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REFRESH_LOCK])
            cursor.execute("""DELETE FROM npc_decisions_hourly_dirty WHERE hour IN (
                SELECT hour FROM npc_decisions_hourly_dirty WHERE hour < %s ORDER BY hour LIMIT %s)
                RETURNING hour""", [until, BATCH_HOURS])
            hours = [r[0] for r in cursor.fetchall()]
            if hours:
                _rebuild(cursor, hours)
                done += len(hours)
            else:
                cursor.execute("UPDATE npc_decisions_hourly_watermark SET watermark = %s, refreshed_at = now()",
                               [until])
        if progress is not None and hours:
            progress(len(hours))
        if not hours:
            return done


def _insert_world_level(cursor, table: str, group: str, source: str, params: dict) -> None:
    """Rows of a world-level table (hourly or daily): `source`'s counts summed and its two latency
    histograms merged per `group`."""
    cursor.execute(f"""
        INSERT INTO {table}
        SELECT c.*, coalesce(l.bins, '{{}}'), coalesce(l.counts, '{{}}'), coalesce(m.bins, '{{}}'),
               coalesce(m.counts, '{{}}')
        FROM (SELECT {group}, {', '.join(f'sum({c})' for c in COUNT_COLUMNS)} FROM {source} s GROUP BY {group}) c
        LEFT JOIN ({_merge_hist_sql('latency_bins', 'latency_counts', group, source)}) l USING ({group})
        LEFT JOIN ({_merge_hist_sql('llm_latency_bins', 'llm_latency_counts', group, source)}) m USING ({group})
    """, params)


def _rebuild(cursor, hours: list[datetime.datetime]) -> None:
    cursor.execute("DELETE FROM npc_decisions_hourly WHERE hour = ANY(%s)", [hours])
    cursor.execute("DELETE FROM npc_decisions_world_hourly WHERE hour = ANY(%s)", [hours])
    # One index range over the batch (created_at is indexed), the batch's hours kept by date_bin.
    where = (f"d.created_at >= %(first)s AND d.created_at < %(last_end)s "
             f"AND date_bin('1 hour', d.created_at, {ORIGIN}) = ANY(%(starts)s::timestamptz[])")
    cursor.execute(f"INSERT INTO npc_decisions_hourly {_raw_rows_sql(where)}",
                   {"starts": hours, "first": min(hours), "last_end": max(hours) + HOUR})
    group = "hour, world_id, decision_type"
    source = "(SELECT * FROM npc_decisions_hourly WHERE hour = ANY(%(hours)s))"
    _insert_world_level(cursor, "npc_decisions_world_hourly", group, source, {"hours": hours})
    _rebuild_days(cursor, sorted({day_floor(h) for h in hours}))


def _rebuild_days(cursor, days: list[datetime.datetime]) -> None:
    """Each day's rows again from all its hourly rows (those of hours still dirty are replaced when
    their own refresh rebuilds the day once more; reads skip days with a dirty hour)."""
    params = {"days": days, "first": min(days), "last_end": max(days) + DAY}
    cursor.execute("DELETE FROM npc_decisions_world_daily WHERE day = ANY(%(days)s)", params)
    cursor.execute("DELETE FROM npc_decisions_npc_daily WHERE day = ANY(%(days)s)", params)
    of_days = (f"hour >= %(first)s AND hour < %(last_end)s "
               f"AND date_bin('1 day', hour, {ORIGIN}) = ANY(%(days)s::timestamptz[])")
    group = "day, world_id, decision_type"
    source = (f"(SELECT date_bin('1 day', hour, {ORIGIN}) AS day, * FROM npc_decisions_world_hourly "
              f"WHERE {of_days})")
    _insert_world_level(cursor, "npc_decisions_world_daily", group, source, params)
    cursor.execute(f"""
        INSERT INTO npc_decisions_npc_daily
        SELECT date_bin('1 day', hour, {ORIGIN}), npc_id, world_id, sum(decisions), sum(llm)
        FROM npc_decisions_hourly WHERE {of_days} GROUP BY 1, 2, 3
    """, params)


def rebuild_all_days(cursor) -> None:
    """Every day that has hourly rows (the daily level's migration on an existing rollup)."""
    cursor.execute(f"SELECT DISTINCT date_bin('1 day', hour, {ORIGIN}) FROM npc_decisions_world_hourly")
    days = sorted(r[0] for r in cursor.fetchall())
    for i in range(0, len(days), 31):
        _rebuild_days(cursor, days[i:i + 31])


# --- reads ----------------------------------------------------------------------------------------


def _split(start, end, using: str) -> tuple[list[tuple], datetime.datetime | None, datetime.datetime | None, list]:
    """Raw time spans, and the rolled-up span [lo, hi) minus `dirty` hours, covering [start, end)."""
    return _split_at(start, end, *state(using))


def _split_at(start, end, mark, dirty):
    lo = hour_floor(start) + (HOUR if hour_floor(start) < start else datetime.timedelta(0))
    hi = min(hour_floor(end), mark) if mark else lo
    if mark is None or hi <= lo:
        return [(start, end)], None, None, []
    dirty_in = sorted(h for h in dirty if lo <= h < hi)
    spans = [(start, lo), (hi, end)] + [(h, h + HOUR) for h in dirty_in]
    return [(a, b) for a, b in spans if a < b], lo, hi, dirty_in


def _raw_where(spans, params: dict, world_id, alias: str = "d") -> str:
    parts = []
    for i, (a, b) in enumerate(spans):
        params[f"s{i}"], params[f"e{i}"] = a, b
        parts.append(f"({alias}.created_at >= %(s{i})s AND {alias}.created_at < %(e{i})s)")
    where = "(" + " OR ".join(parts) + ")" if parts else "false"
    if world_id:
        where += f" AND {alias}.world_id = %(world_id)s"
        params["world_id"] = world_id
    return where


def _rolled_where(lo, hi, dirty, params: dict, world_id, alias: str = "r") -> str:
    if lo is None:
        return "false"
    params.update(lo=lo, hi=hi, dirty=dirty)
    where = f"{alias}.hour >= %(lo)s AND {alias}.hour < %(hi)s AND NOT ({alias}.hour = ANY(%(dirty)s))"
    if world_id:
        where += f" AND {alias}.world_id = %(world_id)s"
        params["world_id"] = world_id
    return where


def _daily_where(lo, hi, dirty, params: dict, world_id, alias: str = "r") -> tuple[str, str]:
    """(extra condition on hourly rows, condition on daily rows) splitting the rolled span [lo, hi).

    The whole UTC days inside it without a dirty hour come from the daily tables; the hourly
    tables keep answering for the hours around them and for the days with a dirty hour.
    """
    if lo is None:
        return "true", "false"
    day_lo = day_floor(lo) + (DAY if day_floor(lo) < lo else datetime.timedelta(0))
    day_hi = day_floor(hi)
    if day_hi <= day_lo:
        return "true", "false"
    dirty_days = sorted({day_floor(h) for h in dirty if day_lo <= h < day_hi})
    params.update(day_lo=day_lo, day_hi=day_hi, dirty_days=dirty_days)
    # Index ranges the planner can estimate (a NOT over the days made it scan the whole table).
    spans = [(lo, day_lo), (day_hi, hi)] + [(d, d + DAY) for d in dirty_days]
    parts = []
    for i, (a, b) in enumerate(spans):
        if a < b:
            params[f"hs{i}"], params[f"he{i}"] = a, b
            parts.append(f"({alias}.hour >= %(hs{i})s AND {alias}.hour < %(he{i})s)")
    hourly = "(" + " OR ".join(parts) + ")" if parts else "false"
    daily = f"{alias}.day >= %(day_lo)s AND {alias}.day < %(day_hi)s AND NOT ({alias}.day = ANY(%(dirty_days)s))"
    if world_id:
        daily += f" AND {alias}.world_id = %(world_id)s"
        params["world_id"] = world_id
    return hourly, daily


def _span_sql(spans, params: dict, prefix: str, column: str) -> str:
    parts = []
    for i, (a, b) in enumerate(spans):
        if a < b:
            params[f"{prefix}s{i}"], params[f"{prefix}e{i}"] = a, b
            parts.append(f"({column} >= %({prefix}s{i})s AND {column} < %({prefix}e{i})s)")
    return "(" + " OR ".join(parts) + ")" if parts else "false"


def _npc_daily_parts(lo, hi, mark, dirty, params: dict) -> tuple[str, str, str]:
    """(daily rows' days, hourly rows to add, hourly rows to subtract) for the per-NPC read of [lo, hi).

    As `_daily_where`, and an edge day that the range covers mostly is taken whole from the daily
    table minus its few hours outside the range (a range from 02:00 on a day reads 2 NPC-hour
    slices, not 22; today's row up to the watermark is the range's newest hours). Days with a dirty
    hour never come from the daily table.
    """
    if lo is None or hi <= lo:
        return "false", "true", "false"
    dirty_days = {day_floor(h) for h in dirty}
    days, minus = [], []
    day = day_floor(lo)
    while day < hi:
        inside = (max(lo, day), min(hi, day + DAY))
        outside = [(day, inside[0]), (inside[1], min(day + DAY, mark))]
        outside_length = sum((b - a for a, b in outside if a < b), datetime.timedelta(0))
        if day not in dirty_days and outside_length < inside[1] - inside[0]:
            days.append(day)
            minus += outside
        day += DAY
    plus, start = [], lo
    for day in days:  # the parts of [lo, hi) no chosen day covers
        plus.append((start, max(start, day)))
        start = max(start, day + DAY)
    plus.append((start, hi))
    params["npc_days"] = days
    return ("r.day = ANY(%(npc_days)s::timestamptz[])", _span_sql(plus, params, "hp", "r.hour"),
            _span_sql(minus, params, "hm", "r.hour"))


def _fetch(sql: str, params, using: str) -> list[dict]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def histogram_percentile(hist: dict[int, int], fraction: float) -> float | None:
    """The `fraction` percentile of a binned histogram: the midpoint of the bin that holds it."""
    total = sum(hist.values())
    if not total:
        return None
    rank = fraction * total
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            lower, upper = BIN_BASE**b - 1, BIN_BASE ** (b + 1) - 1
            return (lower + upper) / 2
    return None


def bin_of(ms: float) -> int:
    return math.floor(math.log(1 + max(ms, 0)) / math.log(BIN_BASE))


def _window(filters) -> usage.UsageWindow:
    return usage.UsageWindow(filters.time_range.start, filters.time_range.end, filters.world_id, filters.npc_id)


def decision_stats_by_type(filters, *, using: str = "default", exact: bool = False) -> list[dict]:
    """Per decision type: volume, LLM share, latency p50/p95/p99 (±5 %, or exact from raw rows),
    average confidence, measured outcomes and their success rate. The NPC filter reads raw rows."""
    if exact or filters.npc_id:
        return usage.usage_by_type(_window(filters))
    start, end = filters.time_range.start, filters.time_range.end
    spans, lo, hi, dirty = _split(start, end, using)
    params: dict = {}
    raw = _raw_where(spans, params, filters.world_id)
    rolled = _rolled_where(lo, hi, dirty, params, filters.world_id)
    outside_days, daily = _daily_where(lo, hi, dirty, params, filters.world_id)
    rows = _fetch(f"""
        WITH src AS (
            SELECT decision_type, {', '.join(COUNT_COLUMNS)}, {', '.join(HIST_COLUMNS)}
            FROM npc_decisions_world_daily r WHERE {daily}
            UNION ALL
            SELECT decision_type, {', '.join(COUNT_COLUMNS)}, {', '.join(HIST_COLUMNS)}
            FROM npc_decisions_world_hourly r WHERE {rolled} AND {outside_days}
            UNION ALL
            SELECT decision_type, {', '.join(COUNT_COLUMNS)}, {', '.join(HIST_COLUMNS)}
            FROM ({_raw_rows_sql(raw)}) x (hour, npc_id, world_id, decision_type, path,
                  {', '.join(COUNT_COLUMNS)}, {', '.join(HIST_COLUMNS)})
        ),
        counts AS (SELECT decision_type, {', '.join(f'sum({c}) AS {c}' for c in COUNT_COLUMNS)}
                   FROM src GROUP BY decision_type),
        bins AS (
            SELECT decision_type, 'decision' AS kind, u.b, sum(u.n) AS n
            FROM src, unnest(src.latency_bins, src.latency_counts) AS u(b, n) GROUP BY 1, 3
            UNION ALL
            SELECT decision_type, 'llm', u.b, sum(u.n)
            FROM src, unnest(src.llm_latency_bins, src.llm_latency_counts) AS u(b, n) GROUP BY 1, 3
        ),
        hist AS (SELECT decision_type, json_agg(json_build_array(kind, b, n)) AS hist FROM bins GROUP BY 1)
        SELECT c.*, h.hist FROM counts c LEFT JOIN hist h USING (decision_type) ORDER BY c.decision_type
    """, params, using)
    result = []
    for row in rows:
        hists: dict[str, dict[int, int]] = defaultdict(dict)
        for kind, b, n in row.pop("hist") or []:
            hists[kind][int(b)] = int(n)
        decisions = int(row["decisions"])
        result.append({
            "decision_type": row["decision_type"], "decisions": decisions, "llm_decisions": int(row["llm"]),
            "llm_share": int(row["llm"]) / decisions if decisions else None,
            "latency_p50": histogram_percentile(hists["decision"], 0.5),
            "latency_p95": histogram_percentile(hists["decision"], 0.95),
            "latency_p99": histogram_percentile(hists["decision"], 0.99),
            "llm_latency_p50": histogram_percentile(hists["llm"], 0.5),
            "avg_confidence": float(row["confidence_sum"]) / int(row["confidence_n"]) if row["confidence_n"] else None,
            "measured": int(row["outcome_known"]),  # the mind's definition: measured with a result
            "success_rate": int(row["successes"]) / int(row["outcome_known"]) if row["outcome_known"] else None,
        })
    return result


def decision_series(filters, *, using: str = "default") -> list[dict]:
    """Decisions per bucket, LLM and rule-based (hourly rows when the bucket is whole hours)."""
    bucket = filters.time_range.event_bucket
    if filters.npc_id or bucket < HOUR or bucket % HOUR:
        return usage.usage_series(_window(filters), bucket)
    spans, lo, hi, dirty = _split(filters.time_range.start, filters.time_range.end, using)
    params: dict = {"bucket": bucket}
    raw = _raw_where(spans, params, filters.world_id)
    rolled = _rolled_where(lo, hi, dirty, params, filters.world_id)
    return _fetch(f"""
        SELECT date_bin(%(bucket)s, t, {ORIGIN}) AS bucket, sum(llm)::int AS llm, sum(rule)::int AS rule FROM (
            SELECT r.hour AS t, r.llm, r.decisions - r.llm AS rule FROM npc_decisions_world_hourly r WHERE {rolled}
            UNION ALL
            SELECT d.created_at, CASE WHEN d.used_llm THEN 1 ELSE 0 END, CASE WHEN d.used_llm THEN 0 ELSE 1 END
            FROM npc_decisions d WHERE {raw}
        ) x GROUP BY 1 ORDER BY 1
    """, params, using)


def llm_calls_per_npc(filters, *, limit: int = 25, using: str = "default") -> list[dict]:
    """NPCs with the most LLM-backed decisions in the range (per-NPC rollup rows + raw edges)."""
    if filters.npc_id:
        return usage.llm_calls_per_npc(_window(filters), limit)
    mark, all_dirty = state(using)
    spans, lo, hi, dirty = _split_at(filters.time_range.start, filters.time_range.end, mark, all_dirty)
    params: dict = {"limit": limit}
    raw = _raw_where(spans, params, filters.world_id)
    rolled = _rolled_where(lo, hi, dirty, params, filters.world_id)
    days, plus, minus = _npc_daily_parts(lo, hi, mark, dirty, params)
    world = " AND r.world_id = %(world_id)s" if filters.world_id else ""
    # Summed per NPC first, joined to `npcs` for the 25 shown only (an NPC deleted since is left out).
    return _fetch(f"""
        SELECT t.npc_id, n.name, n.personality, t.llm_calls, t.decisions
        FROM (
            SELECT u.npc_id, sum(u.llm)::int AS llm_calls, sum(u.decisions)::int AS decisions
            FROM (
                SELECT r.npc_id, r.llm, r.decisions FROM npc_decisions_npc_daily r WHERE {days}{world}
                UNION ALL
                SELECT r.npc_id, r.llm, r.decisions FROM npc_decisions_hourly r WHERE {rolled} AND {plus}
                UNION ALL
                SELECT r.npc_id, -r.llm, -r.decisions FROM npc_decisions_hourly r WHERE {minus}{world}
                UNION ALL
                SELECT d.npc_id, CASE WHEN d.used_llm THEN 1 ELSE 0 END, 1 FROM npc_decisions d WHERE {raw}
            ) u
            WHERE u.npc_id IN (SELECT id FROM npcs)
            GROUP BY u.npc_id
            HAVING sum(u.llm) > 0
            ORDER BY llm_calls DESC, u.npc_id LIMIT %(limit)s
        ) t JOIN npcs n ON n.id = t.npc_id
        ORDER BY t.llm_calls DESC, t.npc_id
    """, params, using)
