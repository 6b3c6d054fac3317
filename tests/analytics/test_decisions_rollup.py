"""The decisions rollup: the dashboard's answers equal the raw log's, however fresh the rollup is."""

from __future__ import annotations

import datetime
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from analytics import decisions_rollup as rollup
from analytics.filters import DashboardFilters, TimeRange
from npcs.mind import usage
from tests.factories.npcs import NPCDecisionFactory, NPCFactory

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=1)


def _filters(start, end, **kwargs) -> DashboardFilters:
    return DashboardFilters("custom", TimeRange(start, end), **kwargs)


@pytest.fixture
def log():
    """300 decisions of two NPCs over the last 30 hours, mixed types, paths, outcomes and latencies."""
    rng = random.Random(16)
    now = timezone.now()
    npcs = [NPCFactory(), NPCFactory()]
    for i in range(300):
        llm = rng.random() < 0.4
        departed = rng.random() < 0.3
        measured = rng.random() < 0.6
        NPCDecisionFactory(
            npc=npcs[i % 2], world_id="demo" if i % 3 else "testworld",
            decision_type=rng.choice(["economic", "military", "diplomatic"]),
            created_at=now - datetime.timedelta(minutes=rng.uniform(0, 30 * 60)),
            used_llm=llm, llm_latency_ms=rng.randint(200, 4000) if llm else None,
            final_decision={"action": "attack" if departed else "build"},
            decision_latency_ms=rng.choice([None, rng.randint(1, 900)]),
            decision_confidence=rng.choice([None, rng.random()]),
            outcome_measured=measured, outcome_success=rng.choice([True, False, None]) if measured else None)
    return now, npcs


def _window(filters) -> usage.UsageWindow:
    return usage.UsageWindow(filters.time_range.start, filters.time_range.end, filters.world_id, filters.npc_id)


def _assert_matches_raw(filters):
    """The rollup's answer against the mind's raw-log selectors (the one definition)."""
    exact = {r["decision_type"]: r for r in usage.usage_by_type(_window(filters))}
    rolled = {r["decision_type"]: r for r in rollup.decision_stats_by_type(filters)}
    assert exact.keys() == rolled.keys()
    for kind, row in exact.items():
        got = rolled[kind]
        for key in ("decisions", "llm_decisions", "measured"):
            assert got[key] == row[key], (kind, key)
        for key in ("llm_share", "avg_confidence", "success_rate"):
            assert got[key] == pytest.approx(row[key]), (kind, key)
    series = lambda rows: sorted((r["bucket"], r["llm"], r["rule"]) for r in rows)  # noqa: E731
    assert series(rollup.decision_series(filters)) == series(
        usage.usage_series(_window(filters), filters.time_range.event_bucket))
    per_npc = lambda rows: [(r["npc_id"], r["llm_calls"], r["decisions"]) for r in rows]  # noqa: E731
    assert per_npc(rollup.llm_calls_per_npc(filters)) == per_npc(usage.llm_calls_per_npc(_window(filters)))
    return exact, rolled


def test_before_any_refresh_everything_comes_from_raw(log):
    now, _ = log
    _assert_matches_raw(_filters(now - 40 * H, now + H))


def test_after_refresh_rolled_hours_plus_raw_edges_equal_raw(log, django_assert_max_num_queries):
    now, _ = log
    assert rollup.refresh() > 0
    mark, dirty = rollup.state()
    assert mark == rollup.hour_floor(timezone.now()) and not dirty
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), sum(decisions) FROM npc_decisions_world_hourly WHERE hour < %s", [mark])
        rows, decisions = cursor.fetchone()
    assert rows > 0 and decisions > 0
    for start in (now - 40 * H, now - datetime.timedelta(hours=20, minutes=17)):  # whole and partial first hour
        _assert_matches_raw(_filters(start, now + H))
        _assert_matches_raw(_filters(start, now + H, world_id="demo"))
    with django_assert_max_num_queries(4):  # state (2) + one aggregate
        rollup.decision_stats_by_type(_filters(now - 40 * H, now + H))


def test_percentiles_are_within_the_stated_error(log):
    now, _ = log
    rollup.refresh()
    exact, rolled = _assert_matches_raw(_filters(now - 40 * H, now + H))
    for kind, row in exact.items():
        for key in ("latency_p50", "latency_p95", "latency_p99", "llm_latency_p50"):
            if row[key] is None:
                assert rolled[kind][key] is None
                continue
            # nearest-rank in a bin of relative width 10 %, against percentile_cont's interpolation
            assert abs(rolled[kind][key] - row[key]) <= max(1.0, 0.1 * row[key]), (kind, key)


def test_writes_after_a_refresh_are_read_from_raw_until_the_next(log):
    now, npcs = log
    rollup.refresh()
    old_hour = rollup.hour_floor(now) - 5 * H
    NPCDecisionFactory(npc=npcs[0], world_id="demo", decision_type="economic",
                       created_at=old_hour + datetime.timedelta(minutes=3), used_llm=True, llm_latency_ms=999)
    NPCDecisionFactory(npc=npcs[0], world_id="demo", decision_type="economic", created_at=timezone.now())
    _, dirty = rollup.state()
    assert old_hour in dirty  # the trigger logged it
    _assert_matches_raw(_filters(now - 40 * H, now + H))
    from npcs.models import NPCDecision
    NPCDecision.objects.filter(created_at__lt=old_hour).update(outcome_measured=True, outcome_success=True)
    _assert_matches_raw(_filters(now - 40 * H, now + H))
    call_command("refresh_decisions_hourly", verbosity=0)
    assert not rollup.state()[1]
    _assert_matches_raw(_filters(now - 40 * H, now + H))


def test_one_npc_and_exact_read_raw(log):
    now, npcs = log
    rollup.refresh()
    filters = _filters(now - 40 * H, now + H, npc_id=npcs[0].pk)
    assert rollup.decision_stats_by_type(filters) == usage.usage_by_type(_window(filters))
    plain = _filters(now - 40 * H, now + H)
    assert rollup.decision_stats_by_type(plain, exact=True) == usage.usage_by_type(_window(plain))


def test_histogram_percentile_and_bins():
    assert rollup.histogram_percentile({}, 0.5) is None
    b = rollup.bin_of(100)
    low, high = 1.1**b - 1, 1.1 ** (b + 1) - 1
    assert low <= 100 < high
    assert rollup.histogram_percentile({b: 10}, 0.99) == pytest.approx((low + high) / 2)
    assert abs(rollup.histogram_percentile({b: 1}, 0.5) - 100) <= 0.05 * 100


def test_dashboard_page_reads_the_rollup_and_offers_exact(admin_client, log):
    rollup.refresh()
    assert admin_client.get("/analytics/decisions/").status_code == 200
    assert admin_client.get("/analytics/decisions/?range=24h&exact=1").status_code == 200
    assert admin_client.get("/analytics/decisions/?range=1h").status_code == 200


def test_dashboard_totals_come_from_the_rollup_on_either_backend(log):
    """Proof that the refreshed hours are read from npc_decisions_world_hourly, not the raw log:
    a change made to the rollup table alone (no trigger) shows in the answer."""
    now, _ = log
    rollup.refresh()
    filters = _filters(now - 40 * H, now + H)
    before = {r["decision_type"]: r["decisions"] for r in rollup.decision_stats_by_type(filters)}
    with connection.cursor() as cursor:
        cursor.execute("UPDATE npc_decisions_world_hourly SET decisions = decisions + 1000 "
                       "WHERE ctid = (SELECT ctid FROM npc_decisions_world_hourly WHERE decision_type = 'economic' "
                       "AND hour >= %s ORDER BY hour DESC LIMIT 1)", [rollup.hour_floor(now) - 30 * H])
    after = {r["decision_type"]: r["decisions"] for r in rollup.decision_stats_by_type(filters)}
    assert after == {**before, "economic": before["economic"] + 1000}


def test_timescale_keeps_npc_decisions_a_plain_table_with_its_contract(timescale_only):
    """Why the decisions rollup is not a continuous aggregate (docs/analytics.md): a hypertable
    would need created_at in the primary key and NOT NULL, which the spec's table does not have."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM timescaledb_information.hypertables "
                       "WHERE hypertable_name = 'npc_decisions'")
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'npc_decisions'::regclass "
                       "AND contype = 'p'")
        assert cursor.fetchone() == ("PRIMARY KEY (id)",)
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'npc_decisions'::regclass "
                       "AND tgname LIKE 'npc_decisions_dirty_%%'")
        assert cursor.fetchone() == (3,)


@pytest.fixture
def days_log():
    """200 decisions of two NPCs spread over the last five days: whole UTC days inside every range."""
    rng = random.Random(61)
    now = timezone.now()
    npcs = [NPCFactory(), NPCFactory()]
    for i in range(200):
        llm = rng.random() < 0.5
        NPCDecisionFactory(
            npc=npcs[i % 2], world_id="demo" if i % 3 else "testworld",
            decision_type=rng.choice(["economic", "military"]),
            created_at=now - datetime.timedelta(minutes=rng.uniform(0, 5 * 24 * 60)),
            used_llm=llm, llm_latency_ms=rng.randint(200, 4000) if llm else None,
            decision_latency_ms=rng.randint(1, 900), decision_confidence=rng.random(),
            outcome_measured=True, outcome_success=rng.choice([True, False]))
    return now, npcs


def test_whole_days_are_read_from_the_daily_rollup_and_equal_raw(days_log):
    now, npcs = days_log
    rollup.refresh()
    start = now - datetime.timedelta(days=5, hours=1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), sum(decisions) FROM npc_decisions_world_daily")
        rows, decisions = cursor.fetchone()
        cursor.execute("SELECT sum(decisions) FROM npc_decisions_world_hourly")
        assert decisions == cursor.fetchone()[0]  # every day is the sum of its hours
    assert rows > 0
    _assert_matches_raw(_filters(start, now + H))
    _assert_matches_raw(_filters(start + datetime.timedelta(hours=7, minutes=13), now + H, world_id="demo"))
    # The daily rows are what a multi-day range reads: change one and the answer changes.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE npc_decisions_world_daily SET decisions = decisions + 1000 "
                       "WHERE day = %s", [rollup.day_floor(now) - datetime.timedelta(days=2)])
        assert cursor.rowcount > 0
    total = sum(r["decisions"] for r in rollup.decision_stats_by_type(_filters(start, now + H)))
    assert total >= 1000 + 200 - 1  # (a decision may sit exactly on the range's edge)


def test_a_day_with_a_dirty_hour_is_read_from_hours_and_raw_until_refreshed(days_log):
    now, npcs = days_log
    rollup.refresh()
    middle = rollup.day_floor(now) - datetime.timedelta(days=2) + 5 * H
    NPCDecisionFactory(npc=npcs[1], world_id="demo", decision_type="military", created_at=middle, used_llm=True,
                       llm_latency_ms=1234)
    start = now - datetime.timedelta(days=5, hours=1)
    _assert_matches_raw(_filters(start, now + H))
    rollup.refresh()
    assert not rollup.state()[1]
    _assert_matches_raw(_filters(start, now + H))
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(decisions) FROM npc_decisions_npc_daily WHERE day = %s", [rollup.day_floor(middle)])
        day_total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM npc_decisions WHERE created_at >= %s AND created_at < %s",
                       [rollup.day_floor(middle), rollup.day_floor(middle) + datetime.timedelta(days=1)])
        assert day_total == cursor.fetchone()[0]


@pytest.mark.parametrize("into_first_day", [datetime.timedelta(hours=1, minutes=20),
                                            datetime.timedelta(hours=22, minutes=5)])
def test_per_npc_edge_days_by_subtraction_or_addition_equal_raw(days_log, into_first_day):
    """A range starting early in a day takes the day minus its first hours; late, it adds the hours."""
    now, _ = days_log
    rollup.refresh()
    start = rollup.day_floor(now) - datetime.timedelta(days=3) + into_first_day
    for end in (now + H, rollup.day_floor(now) - datetime.timedelta(days=1) + 3 * H):
        for world in (None, "demo"):
            per_npc = lambda rows: [(r["npc_id"], r["llm_calls"], r["decisions"]) for r in rows]  # noqa: E731
            filters = _filters(start, end, world_id=world)
            assert per_npc(rollup.llm_calls_per_npc(filters)) == per_npc(usage.llm_calls_per_npc(_window(filters)))
