"""npc_metrics is the seed's table; the native backend partitions it and logs changed hours."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from analytics import partitions, storage

pytestmark = pytest.mark.django_db

SEED_COLUMNS = [
    ("time", "timestamp with time zone", "NO"), ("npc_id", "integer", "NO"), ("world_id", "character varying", "YES"),
    ("wood", "integer", "YES"), ("clay", "integer", "YES"), ("iron", "integer", "YES"), ("wheat", "integer", "YES"),
    ("wood_production", "integer", "YES"), ("clay_production", "integer", "YES"),
    ("iron_production", "integer", "YES"), ("wheat_production", "integer", "YES"),
    ("offensive_power", "integer", "YES"), ("defensive_power", "integer", "YES"), ("total_troops", "integer", "YES"),
    ("rank", "integer", "YES"), ("population", "integer", "YES"), ("villages", "integer", "YES"),
    ("economic_efficiency", "double precision", "YES"), ("military_efficiency", "double precision", "YES"),
    ("diplomatic_score", "double precision", "YES"),
]


def _columns(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type, is_nullable, character_maximum_length FROM information_schema.columns "
            "WHERE table_name = %s AND table_schema = current_schema() ORDER BY ordinal_position", [table])
        return cursor.fetchall()


def test_npc_metrics_has_exactly_the_seed_columns_in_order():
    columns = _columns("npc_metrics")
    assert [(c[0], c[1], c[2]) for c in columns] == SEED_COLUMNS
    assert dict((c[0], c[3]) for c in columns)["world_id"] == 50


def test_primary_key_is_time_npc_id(raw_sql):
    rows = raw_sql("""
        SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = 'npc_metrics'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)
    """)
    assert [r[0] for r in rows] == ["time", "npc_id"]
    raw_sql("INSERT INTO npc_metrics (time, npc_id) VALUES ('2026-11-02 10:00+00', 1)")
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_sql("INSERT INTO npc_metrics (time, npc_id, world_id) VALUES ('2026-11-02 10:00+00', 1, 'demo')")


def test_engine_insert_of_required_columns_only_works_and_nulls_are_refused(raw_sql):
    raw_sql("INSERT INTO npc_metrics (time, npc_id) VALUES (now(), 7)")
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_sql("INSERT INTO npc_metrics (time) VALUES (now())")


def test_hourly_aggregate_has_the_seed_columns_and_the_dashboard_averages():
    names = [c[0] for c in _columns("npc_metrics_hourly_by_world")]
    assert names[:3] == ["hour", "npc_id", "world_id"]
    for seed_column in ("avg_population", "avg_rank", "total_wood_produced"):
        assert seed_column in names
    for column in storage.AVERAGED_COLUMNS:
        assert f"avg_{column}" in names
    assert "samples" in names


def test_native_backend_is_partitioned_by_month_with_a_default_partition(native_only, raw_sql):
    assert storage.metrics_backend() == storage.NATIVE
    assert raw_sql("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'npc_metrics'::regclass") == [("r",)]
    today = datetime.date.today().replace(day=1)
    months = partitions.existing_months()
    assert today in months and len([m for m in months if m > today]) >= partitions.MONTHS_AHEAD
    raw_sql("INSERT INTO npc_metrics (time, npc_id) VALUES ('1999-05-05 00:00+00', 1)")
    assert partitions.default_partition_rows() == 1
    # Creating the month later moves its rows out of the default partition.
    assert partitions.ensure_months([datetime.date(1999, 5, 1)]) == ["npc_metrics_1999_05"]
    assert partitions.default_partition_rows() == 0
    assert raw_sql("SELECT count(*) FROM npc_metrics_1999_05") == [(1,)]


def test_every_write_marks_its_hour_dirty(native_only, raw_sql):
    raw_sql("INSERT INTO npc_metrics (time, npc_id) VALUES ('2026-11-02 10:05+00', 1), ('2026-11-02 11:59+00', 2)")
    raw_sql("UPDATE npc_metrics SET time = '2026-11-02 13:00+00' WHERE npc_id = 2")
    raw_sql("DELETE FROM npc_metrics_hourly_dirty WHERE hour = '2026-11-02 10:00+00'")
    raw_sql("DELETE FROM npc_metrics WHERE npc_id = 1")
    hours = [r[0].hour for r in raw_sql("SELECT hour FROM npc_metrics_hourly_dirty ORDER BY hour")]
    assert hours == [10, 11, 13]


def test_hour_buckets_ignore_the_session_time_zone(native_only, raw_sql):
    raw_sql("SET LOCAL TIME ZONE 'Asia/Kolkata'")  # +05:30: date_trunc('hour') would bucket on :30
    raw_sql("INSERT INTO npc_metrics (time, npc_id) VALUES ('2026-11-02 10:45+00', 1)")
    assert raw_sql("SELECT hour = '2026-11-02 10:00+00' FROM npc_metrics_hourly_dirty") == [(True,)]


@pytest.mark.timescale
def test_timescaledb_hypertable_and_continuous_aggregate(timescale_only):
    """The seed's aggregate, the per-world one and the world level on top of it, all real-time, all with a policy."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'npc_metrics'")
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT view_name, materialized_only, hypertable_name FROM "
                       "timescaledb_information.continuous_aggregates ORDER BY view_name")
        caggs = {name: (only, source) for name, only, source in cursor.fetchall()}
        assert caggs["npc_metrics_hourly"] == (False, "npc_metrics")
        assert caggs["npc_metrics_hourly_by_world"] == (False, "npc_metrics")
        assert caggs["npc_metrics_world_hourly"][0] is False
        # Hierarchical: the world level's source is the per-world aggregate's materialisation.
        cursor.execute("SELECT parent_mat_hypertable_id IS NOT NULL FROM _timescaledb_catalog.continuous_agg "
                       "WHERE user_view_name = 'npc_metrics_world_hourly'")
        assert cursor.fetchone()[0] is True
        cursor.execute("SELECT count(*) FROM timescaledb_information.jobs WHERE proc_name = "
                       "'policy_refresh_continuous_aggregate'")
        assert cursor.fetchone()[0] == 3


def test_backend_choice_follows_the_setting(settings):
    settings.NPCADMIN_METRICS_STORAGE = "native"
    assert storage.chosen_backend() == storage.NATIVE
    settings.NPCADMIN_METRICS_STORAGE = "auto"
    expected = storage.TIMESCALEDB if storage.timescaledb_installable() else storage.NATIVE
    assert storage.chosen_backend() == expected
    if not storage.timescaledb_installable():
        settings.NPCADMIN_METRICS_STORAGE = "timescaledb"
        with pytest.raises(RuntimeError, match="no preloaded TimescaleDB"):
            storage.chosen_backend()


def test_the_continuous_aggregate_and_the_rollup_share_one_definition():
    native = storage.aggregate_select(storage.HOUR_BUCKET_NATIVE)
    timescale = next(sql for sql in storage.TIMESCALE_SQL if "timescaledb.continuous" in sql)
    assert native.replace(storage.HOUR_BUCKET_NATIVE, storage.HOUR_BUCKET_TIMESCALE) in timescale
    assert "materialized_only = false" in timescale
    assert any("add_continuous_aggregate_policy" in sql for sql in storage.TIMESCALE_SQL)


def test_engine_upserts_mark_hours_dirty(native_only, raw_sql):
    upsert = ("INSERT INTO npc_metrics (time, npc_id, population) VALUES (%s, 1, %s) "
              "ON CONFLICT (time, npc_id) DO UPDATE SET population = EXCLUDED.population")
    raw_sql(upsert, ["2026-11-02 10:05+00", 10])
    raw_sql("DELETE FROM npc_metrics_hourly_dirty")
    raw_sql(upsert, ["2026-11-02 10:05+00", 20])
    assert raw_sql("SELECT count(*) FROM npc_metrics_hourly_dirty") == [(1,)]
    assert raw_sql("SELECT population FROM npc_metrics") == [(20,)]
