"""Where `npc_metrics` and `npc_metrics_hourly` live: TimescaleDB, or native partitions.

Two storage backends give the same tables and the same numbers:

* **timescaledb** (the extension is installed and preloaded): `npc_metrics` is a hypertable and
  `npc_metrics_hourly` a continuous aggregate with a refresh policy and real-time aggregation.
* **native** (plain PostgreSQL, the embedded server): `npc_metrics` is range-partitioned by month
  with a DEFAULT partition, `npc_metrics_hourly` is a rollup *table* with the same columns,
  kept fresh by `manage.py refresh_metrics_hourly` (see `analytics.rollup`). A statement trigger
  records every hour bucket an INSERT/UPDATE/DELETE (or COPY) touches, like TimescaleDB's
  invalidation log, so a refresh recomputes only those buckets.

Every aggregate column is written once, in `HOURLY_COLUMNS`, and used by the continuous
aggregate, the rollup refresh and the raw-tail query alike, so the paths cannot drift apart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

TIMESCALEDB = "timescaledb"
NATIVE = "native"
BACKENDS = (TIMESCALEDB, NATIVE)

# The raw columns of the seed's `npc_metrics`, in table order (the CSV/COPY order too).
METRIC_COLUMNS = (
    "time", "npc_id", "world_id",
    "wood", "clay", "iron", "wheat",
    "wood_production", "clay_production", "iron_production", "wheat_production",
    "offensive_power", "defensive_power", "total_troops",
    "rank", "population", "villages",
    "economic_efficiency", "military_efficiency", "diplomatic_score",
)
AVERAGED_COLUMNS = METRIC_COLUMNS[3:]


@dataclass(frozen=True)
class HourlyColumn:
    name: str
    expression: str  # over the raw rows of one (hour, npc_id, world_id) bucket
    sql_type: str


# avg_* are double precision whatever the source type, so TimescaleDB's view, the rollup table and
# the raw tail return identical values. `total_wood_produced` is the seed's column, kept as it is
# (seed flaw 8): SUM of the per-hour *rates* of every sample, wood produced only at 1 sample/hour.
HOURLY_COLUMNS = (
    HourlyColumn("samples", "count(*)", "bigint"),
    HourlyColumn("avg_population", "avg(population)::double precision", "double precision"),
    HourlyColumn("avg_rank", "avg(rank)::double precision", "double precision"),
    HourlyColumn("total_wood_produced", "sum(wood_production)", "bigint"),
    *(
        HourlyColumn(f"avg_{column}", f"avg({column})::double precision", "double precision")
        for column in AVERAGED_COLUMNS
        if column not in ("population", "rank")
    ),
)
HOURLY_COLUMN_NAMES = ("hour", "npc_id", "world_id", *(c.name for c in HOURLY_COLUMNS))


def hour_bucket(column: str = "time") -> str:
    """The UTC hour a timestamp falls in, independent of the session's TimeZone (like time_bucket)."""
    return f"date_bin('1 hour', {column}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"


def dirty_hours_trigger_sql(*, table: str, column: str, dirty_table: str, function: str) -> list[str]:
    """A statement-level trigger marking the UTC hours that writes to `table` touched in `dirty_table`.

    Used by the metrics rollup and the decisions rollup: INSERT marks the new rows' hours, DELETE
    the old rows', UPDATE both (a row moved to another hour dirties the two).
    """
    mark = "INSERT INTO {dirty} (hour) SELECT DISTINCT {bucket} FROM {rows} ON CONFLICT DO NOTHING;"
    return [
        f"""
    CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            {mark.format(dirty=dirty_table, bucket=hour_bucket(f"n.{column}"), rows="new_rows n")}
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            {mark.format(dirty=dirty_table, bucket=hour_bucket(f"o.{column}"), rows="old_rows o")}
        END IF;
        RETURN NULL;
    END
    $$""",
        f"""CREATE TRIGGER {table}_dirty_insert AFTER INSERT ON {table}
       REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_dirty_update AFTER UPDATE ON {table}
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_dirty_delete AFTER DELETE ON {table}
       REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
    ]


HOUR_BUCKET_NATIVE = hour_bucket()
HOUR_BUCKET_TIMESCALE = "time_bucket('1 hour', time)"


def aggregate_select(bucket_sql: str, where: str = "") -> str:
    """SELECT producing hourly rows from raw `npc_metrics` (the one definition of the aggregate)."""
    columns = ",\n    ".join(f"{c.expression} AS {c.name}" for c in HOURLY_COLUMNS)
    return (
        f"SELECT {bucket_sql} AS hour, npc_id, world_id,\n    {columns}\n"
        f"FROM npc_metrics {where}\nGROUP BY 1, 2, 3"
    )


# The world-level rollup: one row per (hour, world) summing the NPCs' hourly rows, what the
# world-wide charts read (720 rows for 30 days of one world instead of 360 000 NPC-hours).
# `sum_x` and `n_x` (non-null NPCs) of every avg_x give both totals and means over NPCs exactly
# as a GROUP BY of the NPC rows would (up to floating-point summation order).
WORLD_AVG_COLUMNS = tuple(c.name.removeprefix("avg_") for c in HOURLY_COLUMNS if c.name.startswith("avg_"))
WORLD_COLUMNS = (
    HourlyColumn("npcs", "count(*)", "bigint"),
    HourlyColumn("samples", "sum(samples)::bigint", "bigint"),
    HourlyColumn("total_wood_produced", "sum(total_wood_produced)::bigint", "bigint"),
    *(HourlyColumn(f"sum_{name}", f"sum(avg_{name})", "double precision") for name in WORLD_AVG_COLUMNS),
    *(HourlyColumn(f"n_{name}", f"count(avg_{name})", "bigint") for name in WORLD_AVG_COLUMNS),
)
WORLD_COLUMN_NAMES = ("hour", "world_id", *(c.name for c in WORLD_COLUMNS))


def world_select(source_sql: str, where: str = "") -> str:
    """SELECT producing world-hour rows from hourly NPC rows (a table name or a parenthesized query)."""
    columns = ",\n    ".join(f"{c.expression} AS {c.name}" for c in WORLD_COLUMNS)
    return f"SELECT hour, world_id,\n    {columns}\nFROM {source_sql} AS npc_hours {where}\nGROUP BY 1, 2"


WORLD_NATIVE_SQL = [
    # The latest standings of one world: each of its NPCs' latest hour, one index probe per NPC.
    "CREATE INDEX npc_metrics_hourly_world_npc_hour_idx ON npc_metrics_hourly (world_id, npc_id, hour DESC)",
    """
    CREATE TABLE npc_metrics_world_hourly (
        hour TIMESTAMPTZ NOT NULL,
        world_id VARCHAR(50),
        {columns},
        CONSTRAINT npc_metrics_world_hourly_key UNIQUE NULLS NOT DISTINCT (hour, world_id)
    )
    """.replace("{columns}", ",\n        ".join(f"{c.name} {c.sql_type}" for c in WORLD_COLUMNS)),
    "CREATE INDEX npc_metrics_world_hourly_world_id_hour_idx ON npc_metrics_world_hourly (world_id, hour)",
    # Every hour already rolled up per NPC (the dirty ones are recomputed by the next refresh anyway).
    f"INSERT INTO npc_metrics_world_hourly ({', '.join(WORLD_COLUMN_NAMES)}) "
    + world_select("npc_metrics_hourly"),
]
# TimescaleDB: a plain view over the continuous aggregate (same columns, same answers).
WORLD_TIMESCALE_SQL = [f"CREATE VIEW npc_metrics_world_hourly AS {world_select('npc_metrics_hourly')}"]
WORLD_DROP_NATIVE_SQL = [
    "DROP TABLE IF EXISTS npc_metrics_world_hourly",
    "DROP INDEX IF EXISTS npc_metrics_hourly_world_npc_hour_idx",
]
WORLD_DROP_TIMESCALE_SQL = ["DROP VIEW IF EXISTS npc_metrics_world_hourly"]


METRICS_TABLE_SQL = """
CREATE TABLE npc_metrics (
    time TIMESTAMPTZ NOT NULL,
    npc_id INTEGER NOT NULL,
    world_id VARCHAR(50),
    wood INTEGER,
    clay INTEGER,
    iron INTEGER,
    wheat INTEGER,
    wood_production INTEGER,
    clay_production INTEGER,
    iron_production INTEGER,
    wheat_production INTEGER,
    offensive_power INTEGER,
    defensive_power INTEGER,
    total_troops INTEGER,
    rank INTEGER,
    population INTEGER,
    villages INTEGER,
    economic_efficiency FLOAT,
    military_efficiency FLOAT,
    diplomatic_score FLOAT,
    CONSTRAINT npc_metrics_pkey PRIMARY KEY (time, npc_id)
){partition_clause}
"""

# Serves the per-NPC charts (and the raw tail for one NPC); the primary key serves time ranges.
METRICS_NPC_INDEX_SQL = "CREATE INDEX npc_metrics_npc_id_time_idx ON npc_metrics (npc_id, time DESC)"

NATIVE_SQL = [
    METRICS_TABLE_SQL.format(partition_clause=" PARTITION BY RANGE (time)"),
    METRICS_NPC_INDEX_SQL,
    # Rows of a month without a partition land here instead of being refused (see analytics.partitions).
    "CREATE TABLE npc_metrics_default PARTITION OF npc_metrics DEFAULT",
    """
    CREATE TABLE npc_metrics_hourly (
        hour TIMESTAMPTZ NOT NULL,
        npc_id INTEGER NOT NULL,
        world_id VARCHAR(50),
        {columns},
        CONSTRAINT npc_metrics_hourly_key UNIQUE NULLS NOT DISTINCT (hour, npc_id, world_id)
    )
    """.replace("{columns}", ",\n        ".join(f"{c.name} {c.sql_type}" for c in HOURLY_COLUMNS)),
    "CREATE INDEX npc_metrics_hourly_npc_id_hour_idx ON npc_metrics_hourly (npc_id, hour DESC)",
    # Which world-wide charts read: every NPC of a world over a range of hours.
    "CREATE INDEX npc_metrics_hourly_world_id_hour_idx ON npc_metrics_hourly (world_id, hour)",
    # The invalidation log: hour buckets changed since they were last rolled up.
    "CREATE TABLE npc_metrics_hourly_dirty (hour TIMESTAMPTZ PRIMARY KEY)",
    # One row: rollup holds every hour < watermark (except dirty ones); newer hours come from raw.
    """
    CREATE TABLE npc_metrics_hourly_watermark (
        id BOOLEAN PRIMARY KEY DEFAULT TRUE CONSTRAINT npc_metrics_hourly_watermark_single_row CHECK (id),
        watermark TIMESTAMPTZ,
        refreshed_at TIMESTAMPTZ,
        buckets_refreshed INTEGER NOT NULL DEFAULT 0
    )
    """,
    "INSERT INTO npc_metrics_hourly_watermark DEFAULT VALUES",
    *dirty_hours_trigger_sql(table="npc_metrics", column="time", dirty_table="npc_metrics_hourly_dirty",
                             function="npc_metrics_mark_dirty"),
]

NATIVE_DROP_SQL = [
    "DROP TABLE IF EXISTS npc_metrics CASCADE",
    "DROP TABLE IF EXISTS npc_metrics_world_hourly",
    "DROP FUNCTION IF EXISTS npc_metrics_mark_dirty()",
    "DROP TABLE IF EXISTS npc_metrics_hourly",
    "DROP TABLE IF EXISTS npc_metrics_hourly_dirty",
    "DROP TABLE IF EXISTS npc_metrics_hourly_watermark",
]

# Refresh policy: re-materialize the last 3 days every 30 minutes, leaving the current hour to
# real-time aggregation (materialized_only = false answers it from the hypertable).
TIMESCALE_SQL = [
    "CREATE EXTENSION IF NOT EXISTS timescaledb",
    METRICS_TABLE_SQL.format(partition_clause=""),
    METRICS_NPC_INDEX_SQL,
    "SELECT create_hypertable('npc_metrics', 'time', chunk_time_interval => INTERVAL '7 days')",
    f"""
    CREATE MATERIALIZED VIEW npc_metrics_hourly
    WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
    {aggregate_select(HOUR_BUCKET_TIMESCALE)}
    WITH NO DATA
    """,
    """SELECT add_continuous_aggregate_policy('npc_metrics_hourly',
        start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
        schedule_interval => INTERVAL '30 minutes')""",
]

TIMESCALE_DROP_SQL = [
    "DROP MATERIALIZED VIEW IF EXISTS npc_metrics_hourly CASCADE",
    "DROP TABLE IF EXISTS npc_metrics CASCADE",
]


def timescaledb_installable(using: str = "default") -> bool:
    """True when the server offers TimescaleDB and has it preloaded (CREATE EXTENSION would work)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
        if cursor.fetchone() is None:
            return False
        cursor.execute("SELECT current_setting('shared_preload_libraries')")
        return "timescaledb" in cursor.fetchone()[0]


def chosen_backend(using: str = "default") -> str:
    """The backend a migration should build: `NPCADMIN_METRICS_STORAGE` (auto|timescaledb|native)."""
    wanted = getattr(settings, "NPCADMIN_METRICS_STORAGE", "auto")
    if wanted == NATIVE:
        return NATIVE
    available = timescaledb_installable(using)
    if wanted == TIMESCALEDB and not available:
        raise RuntimeError(
            "NPCADMIN_METRICS_STORAGE=timescaledb but the server has no preloaded TimescaleDB extension"
        )
    return TIMESCALEDB if available else NATIVE


_backend_cache: dict[str, str] = {}


def metrics_backend(using: str = "default") -> str:
    """The backend the database was built with (a continuous aggregate is a view; a rollup a table)."""
    if using not in _backend_cache:
        with connections[using].cursor() as cursor:
            cursor.execute(
                # The per-world aggregate (since 0004; before it, npc_metrics_hourly itself).
                "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname IN ('npc_metrics_hourly_by_world', 'npc_metrics_hourly') "
                "AND n.nspname = current_schema() ORDER BY c.relname DESC LIMIT 1"
            )
            row = cursor.fetchone()
        if row is None:
            return NATIVE  # not migrated yet: do not cache
        _backend_cache[using] = TIMESCALEDB if row[0] in ("v", "m") else NATIVE
    return _backend_cache[using]


def forget_backend() -> None:
    """Drop the cached backend (tests that rebuild storage)."""
    _backend_cache.clear()


# ---------------------------------------------------------------------------------------------
# Migration 0004: `npc_metrics_hourly` becomes exactly the seed's relation (hour, npc_id,
# avg_population, avg_rank, total_wood_produced; AVG(integer) -> numeric, SUM(integer) -> bigint;
# one row per (hour, npc_id)); the per-world grain with the extra averages, which the dashboards
# read, is renamed `npc_metrics_hourly_by_world`.
BY_WORLD = "npc_metrics_hourly_by_world"
WORLD_HOURLY = "npc_metrics_world_hourly"


def seed_hourly_select(bucket_sql: str) -> str:
    """The seed's continuous aggregate, column for column."""
    return (f"SELECT {bucket_sql} AS hour, npc_id, AVG(population) AS avg_population, AVG(rank) AS avg_rank, "
            "SUM(wood_production) AS total_wood_produced FROM npc_metrics GROUP BY 1, 2")


# Native: a plain view over the raw samples, so plain SQL sees every hour including the newest
# (what TimescaleDB's real-time aggregation gives). The dashboards never read it; see docs/analytics.md.
SEED_HOURLY_NATIVE_SQL = [
    f"ALTER TABLE npc_metrics_hourly RENAME TO {BY_WORLD}",
    f"CREATE VIEW npc_metrics_hourly AS {seed_hourly_select(HOUR_BUCKET_NATIVE)}",
]
SEED_HOURLY_NATIVE_DROP_SQL = [
    "DROP VIEW IF EXISTS npc_metrics_hourly",
    f"ALTER TABLE {BY_WORLD} RENAME TO npc_metrics_hourly",
]

# TimescaleDB: the seed's continuous aggregate; the per-world one renamed; the world level a
# hierarchical continuous aggregate on top of it (720 rows for 30 days instead of 360 000).
_POLICY = ("SELECT add_continuous_aggregate_policy('{view}', start_offset => INTERVAL '3 days', "
           "end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes')")
SEED_HOURLY_TIMESCALE_SQL = [
    f"DROP VIEW IF EXISTS {WORLD_HOURLY}",
    f"ALTER MATERIALIZED VIEW npc_metrics_hourly RENAME TO {BY_WORLD}",
    f"""CREATE MATERIALIZED VIEW npc_metrics_hourly
        WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
        {seed_hourly_select(HOUR_BUCKET_TIMESCALE)} WITH NO DATA""",
    _POLICY.format(view="npc_metrics_hourly"),
    f"""CREATE MATERIALIZED VIEW {WORLD_HOURLY}
        WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
        {world_select(BY_WORLD).replace("SELECT hour,", "SELECT time_bucket('1 hour', hour) AS hour,", 1)}
        WITH NO DATA""",
    _POLICY.format(view=WORLD_HOURLY),
    f"CREATE INDEX {WORLD_HOURLY}_world_id_hour_idx ON {WORLD_HOURLY} (world_id, hour)",
    f"CREATE INDEX {BY_WORLD}_world_npc_hour_idx ON {BY_WORLD} (world_id, npc_id, hour DESC)",
    f"CREATE INDEX {BY_WORLD}_npc_id_hour_idx ON {BY_WORLD} (npc_id, hour DESC)",
]
SEED_HOURLY_TIMESCALE_DROP_SQL = [
    f"DROP MATERIALIZED VIEW IF EXISTS {WORLD_HOURLY}",
    "DROP MATERIALIZED VIEW IF EXISTS npc_metrics_hourly",
    f"ALTER MATERIALIZED VIEW {BY_WORLD} RENAME TO npc_metrics_hourly",
    *WORLD_TIMESCALE_SQL,
]
