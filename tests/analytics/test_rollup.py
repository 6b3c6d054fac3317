"""The native rollup equals a plain GROUP BY over raw samples, refreshes only dirty hours, and the
selectors answer hours not rolled up yet from the raw table."""

from __future__ import annotations

import datetime

import pytest

from analytics import rollup, selectors
from analytics.services import metrics_hourly_refresh
from tests.factories.analytics import T0, NPCMetricFactory

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)
NOW = T0 + 2 * H + datetime.timedelta(minutes=30)  # 12:30: hours 10 and 11 are complete

DIRECT_GROUP_BY = """
    SELECT date_trunc('hour', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, npc_id, world_id,
           count(*), avg(population)::float8, avg(rank)::float8, sum(wood_production),
           avg(wood)::float8, avg(wood_production)::float8, avg(offensive_power)::float8,
           avg(economic_efficiency)::float8
    FROM npc_metrics GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
ROLLUP = """
    SELECT hour, npc_id, world_id, samples, avg_population, avg_rank, total_wood_produced,
           avg_wood, avg_wood_production, avg_offensive_power, avg_economic_efficiency
    FROM npc_metrics_hourly_by_world ORDER BY 1, 2, 3
"""


@pytest.fixture
def samples():
    """NPC 1: three samples in hour 10 (one with NULLs), one in hour 11. NPC 2: one in hour 10."""
    NPCMetricFactory(time=T0, npc_id=1, population=100, rank=5, wood_production=60, wood=1000)
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=20), npc_id=1, population=200, rank=7,
                     wood_production=90, wood=2000)
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=40), npc_id=1, population=None, rank=None,
                     wood_production=30, wood=None, economic_efficiency=None)
    NPCMetricFactory(time=T0 + H + datetime.timedelta(minutes=5), npc_id=1, population=400, rank=3,
                     wood_production=120)
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=10), npc_id=2, world_id="demo", population=50)


def test_rollup_matches_hand_computed_values(native_only, samples):
    result = metrics_hourly_refresh(now=NOW)
    assert (result.buckets, result.rows) == (2, 3)
    row = next(r for r in selectors._fetch(ROLLUP, {}) if r["npc_id"] == 1 and r["hour"] == T0)
    assert row["samples"] == 3
    assert row["avg_population"] == 150  # NULL samples do not count
    assert row["avg_rank"] == 6
    assert row["total_wood_produced"] == 180  # the seed's sum of rates (flaw 8)
    assert row["avg_wood_production"] == 60  # what was produced in the hour, per hour
    assert row["avg_wood"] == 1500


def test_rollup_equals_a_direct_group_by_over_raw_samples(samples, raw_sql):
    metrics_hourly_refresh(now=NOW)
    assert raw_sql(ROLLUP) == raw_sql(DIRECT_GROUP_BY)


def test_refresh_recomputes_only_buckets_touched_since_the_last_one(native_only, samples, raw_sql):
    metrics_hourly_refresh(now=NOW)
    # A marker in hour 11: a refresh that recomputed hour 11 would overwrite it.
    raw_sql("UPDATE npc_metrics_hourly_by_world SET avg_population = -1 WHERE hour = %s", [T0 + H])
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=50), npc_id=1, population=450, wood_production=0)
    assert rollup.dirty_hours() == [T0]
    result = metrics_hourly_refresh(now=NOW)
    assert result.buckets == 1
    assert raw_sql("SELECT avg_population FROM npc_metrics_hourly_by_world WHERE hour = %s AND npc_id = 1",
                   [T0]) == [(250.0,)]
    assert raw_sql("SELECT avg_population FROM npc_metrics_hourly_by_world WHERE hour = %s", [T0 + H]) == [(-1.0,)]
    assert rollup.dirty_hours() == []
    assert metrics_hourly_refresh(now=NOW).buckets == 0


def test_the_newest_hour_is_answered_from_raw_samples(native_only, samples, raw_sql):
    NPCMetricFactory(time=T0 + 2 * H + datetime.timedelta(minutes=10), npc_id=1, population=999)
    metrics_hourly_refresh(now=NOW)
    assert rollup.watermark() == T0 + 2 * H
    # Plain SQL on the table sees the current hour as far as it was written at the refresh...
    assert raw_sql("SELECT avg_population FROM npc_metrics_hourly_by_world WHERE hour = %s", [T0 + 2 * H]) == [(999.0,)]
    assert rollup.dirty_hours() == []
    # ... the selectors read it from raw samples, so a sample written since is already counted.
    NPCMetricFactory(time=T0 + 2 * H + datetime.timedelta(minutes=20), npc_id=1, population=1001)
    sql, params = selectors.hourly_source(start=T0, end=T0 + 3 * H, npc_ids=[1])
    rows = {r["hour"]: r for r in selectors._fetch(sql, params)}
    assert sorted(rows) == [T0, T0 + H, T0 + 2 * H]
    assert rows[T0 + 2 * H]["avg_population"] == 1000
    assert rows[T0]["avg_population"] == 150
    assert "FROM npc_metrics " in sql and "time >= %(tail_start)s" in sql and params["tail_start"] == T0 + 2 * H


def test_late_samples_in_rolled_up_hours_are_answered_exactly_before_the_next_refresh(samples):
    metrics_hourly_refresh(now=NOW)
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=55), npc_id=1, population=450)
    sql, params = selectors.hourly_source(start=T0, end=T0 + 2 * H, npc_ids=[1])
    rows = {r["hour"]: r for r in selectors._fetch(sql, params)}
    assert rows[T0]["avg_population"] == 250  # (100 + 200 + 450) / 3, from raw: the hour is dirty
    assert rows[T0]["samples"] == 4
    assert len(rows) == 2


def test_source_is_the_same_before_and_after_refresh(samples):
    sql, params = selectors.hourly_source(start=T0, end=T0 + 2 * H)
    before = sorted(selectors._fetch(sql, params), key=lambda r: (r["hour"], r["npc_id"]))
    metrics_hourly_refresh(now=NOW)
    sql, params = selectors.hourly_source(start=T0, end=T0 + 2 * H)
    after = sorted(selectors._fetch(sql, params), key=lambda r: (r["hour"], r["npc_id"]))
    assert before == after and len(after) == 3


def test_dry_run_changes_nothing(native_only, samples, raw_sql):
    result = metrics_hourly_refresh(now=NOW, dry_run=True)
    assert result.buckets == 2
    assert raw_sql("SELECT count(*) FROM npc_metrics_hourly_by_world") == [(0,)]
    assert len(rollup.dirty_hours()) == 2


def test_deleting_samples_removes_them_from_the_rollup_at_the_next_refresh(samples, raw_sql):
    metrics_hourly_refresh(now=NOW)
    raw_sql("DELETE FROM npc_metrics WHERE npc_id = 2")
    metrics_hourly_refresh(now=NOW)
    assert raw_sql("SELECT count(*) FROM npc_metrics_hourly_by_world WHERE npc_id = 2") == [(0,)]
