"""npc_metrics_world_hourly equals a direct GROUP BY of the raw samples, is refreshed with the same
dirty hours, and the overview's selectors answer exactly what the per-NPC path answers."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest

from analytics import selectors
from analytics.filters import DashboardFilters, TimeRange
from analytics.services import metrics_delete, metrics_hourly_refresh
from tests.factories.analytics import T0, NPCMetricFactory

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)
NOW = T0 + 2 * H + datetime.timedelta(minutes=30)

# Per hour and world, straight from the raw samples: NPC-hour averages first, then over NPCs.
DIRECT_GROUP_BY = """
    WITH npc_hours AS (
        SELECT date_trunc('hour', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, npc_id, world_id,
               count(*) AS samples, avg(population)::float8 AS population, avg(rank)::float8 AS rank,
               sum(wood_production) AS total_wood_produced, avg(wood)::float8 AS wood
        FROM npc_metrics GROUP BY 1, 2, 3
    )
    SELECT hour, world_id, count(*), sum(samples)::bigint, sum(total_wood_produced)::bigint,
           sum(population), count(population), sum(rank), count(rank), sum(wood), count(wood)
    FROM npc_hours GROUP BY 1, 2 ORDER BY 1, 2
"""
WORLD_ROLLUP = """
    SELECT hour, world_id, npcs, samples, total_wood_produced, sum_population, n_population,
           sum_rank, n_rank, sum_wood, n_wood
    FROM npc_metrics_world_hourly ORDER BY 1, 2
"""


@pytest.fixture
def samples():
    NPCMetricFactory(time=T0, npc_id=1, population=100, rank=5, wood_production=60, wood=1000)
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=20), npc_id=1, population=200, rank=7,
                     wood_production=90, wood=2000)
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=40), npc_id=3, population=None, rank=None,
                     wood_production=30, wood=None)
    NPCMetricFactory(time=T0 + H + datetime.timedelta(minutes=5), npc_id=1, population=400, rank=3,
                     wood_production=120)
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=10), npc_id=2, world_id="demo", population=50, rank=9)


def test_world_rollup_equals_a_direct_group_by_over_raw_samples(samples, raw_sql):
    metrics_hourly_refresh(now=NOW)
    rows = raw_sql(WORLD_ROLLUP)
    assert rows == raw_sql(DIRECT_GROUP_BY)
    assert len(rows) == 3  # (10:00, demo), (10:00, testworld), (11:00, testworld)


def test_world_rollup_is_refreshed_incrementally(native_only, samples, raw_sql):
    metrics_hourly_refresh(now=NOW)
    # Tamper with hour 11: a refresh that only recomputes dirty hours must leave it alone.
    raw_sql("UPDATE npc_metrics_world_hourly SET sum_population = -1 WHERE hour = %s", [T0 + H])
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=50), npc_id=2, world_id="demo", population=150)
    result = metrics_hourly_refresh(now=NOW)
    assert result.buckets == 1  # only hour 10 was dirty
    assert raw_sql("SELECT sum_population FROM npc_metrics_world_hourly WHERE hour = %s", [T0 + H]) == [(-1.0,)]
    assert raw_sql("SELECT npcs, samples, sum_population FROM npc_metrics_world_hourly "
                   "WHERE hour = %s AND world_id = 'demo'", [T0]) == [(1, 2, 100.0)]
    raw_sql("DELETE FROM npc_metrics WHERE world_id = 'demo'")
    metrics_hourly_refresh(now=NOW)
    assert raw_sql("SELECT count(*) FROM npc_metrics_world_hourly WHERE world_id = 'demo'") == [(0,)]


def _filters(**kwargs):
    return DashboardFilters("custom", TimeRange(T0 - 2 * H, T0 + 3 * H), **kwargs)


def _per_npc_path(name, filters):
    with mock.patch("analytics.selectors._reads_world_rollup", return_value=False), \
         mock.patch("analytics.selectors._standings_fast", return_value=False):
        return getattr(selectors, name)(filters)


@pytest.mark.parametrize("world", [None, "testworld", "demo"])
@pytest.mark.parametrize("name", ["metric_series", "latest_standings"])
def test_overview_selectors_answer_like_the_per_npc_path(samples, name, world):
    """Rolled-up hours, a dirty hour and the raw tail after the watermark all give the same rows."""
    metrics_hourly_refresh(now=T0 + H + datetime.timedelta(minutes=30))  # watermark 11:00
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=55), npc_id=2, world_id="demo", population=70)  # dirty
    NPCMetricFactory(time=T0 + 2 * H, npc_id=3, population=10, rank=20)  # after the watermark
    filters = _filters(world_id=world)
    fast = getattr(selectors, name)(filters)
    assert fast == _per_npc_path(name, filters)
    assert fast


def test_overview_selectors_without_any_refresh_read_raw(samples):
    filters = _filters()
    assert selectors.metric_series(filters) == _per_npc_path("metric_series", filters)
    assert selectors.latest_standings(filters) == _per_npc_path("latest_standings", filters)


def test_deleting_every_sample_empties_the_world_rollup(samples, raw_sql):
    metrics_hourly_refresh(now=NOW)
    metrics_delete()  # TRUNCATE: no trigger fires, the service clears the rollups itself
    assert raw_sql("SELECT count(*) FROM npc_metrics_world_hourly") == [(0,)]
    assert selectors.metric_series(_filters()) == []
