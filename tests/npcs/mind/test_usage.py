"""LLM usage across NPCs, against values computed by hand from a small factory data set."""

from __future__ import annotations

import datetime

import pytest

from npcs.choices import DecisionType, Personality
from npcs.mind import usage
from npcs.mind.usage import UsageWindow
from tests.factories.mind import LLMDecisionFactory
from tests.factories.npcs import NPCDecisionFactory, NPCFactory

pytestmark = pytest.mark.django_db

DAY1 = datetime.datetime(2026, 3, 1, 10, 0, tzinfo=datetime.UTC)
DAY2 = datetime.datetime(2026, 3, 2, 23, 30, tzinfo=datetime.UTC)
WINDOW = UsageWindow(since=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC),
                     until=datetime.datetime(2026, 3, 3, tzinfo=datetime.UTC))
REC = {"action": "attack", "target": 501}
OTHER = {"action": "raid", "target": 777}


@pytest.fixture
def data():
    a = NPCFactory(personality=Personality.AGGRESSIVE)
    b = NPCFactory(personality=Personality.ECONOMIC)
    c = NPCFactory(personality=Personality.BALANCED)
    military = {"npc": a, "decision_type": DecisionType.MILITARY, "rule_based_recommendation": REC}
    llm_a = {**military, "llm_prompt": "x" * 40, "llm_response": "y" * 8}
    NPCDecisionFactory(**military, final_decision=REC, outcome_measured=True, outcome_success=True, created_at=DAY1)
    NPCDecisionFactory(**military, final_decision=REC, outcome_measured=True, outcome_success=False, created_at=DAY1)
    LLMDecisionFactory(**llm_a, final_decision=OTHER, outcome_success=True, llm_latency_ms=100, created_at=DAY1)
    LLMDecisionFactory(**llm_a, final_decision=dict(reversed(REC.items())), outcome_success=True,
                       llm_latency_ms=200, created_at=DAY1)  # same JSON, other key order: kept the rule
    LLMDecisionFactory(**llm_a, final_decision=OTHER, outcome_measured=False, outcome_success=None,
                       llm_latency_ms=300, execution_result={"error": "timeout"}, created_at=DAY1)
    LLMDecisionFactory(npc=b, decision_type=DecisionType.ECONOMIC, rule_based_recommendation=REC, final_decision=OTHER,
                       outcome_success=False, llm_latency_ms=1000, llm_prompt="z" * 10, llm_response=None,
                       outcome_data={"status": "rate_limited", "retry_in": 30}, created_at=DAY2)
    NPCDecisionFactory(npc=b, decision_type=DecisionType.ECONOMIC, rule_based_recommendation=None,
                       outcome_measured=True, outcome_success=True, created_at=DAY2)
    # Outside the window: counted nowhere.
    LLMDecisionFactory(npc=c, llm_latency_ms=99_999, execution_result={"error": "x"},
                       created_at=DAY1 - datetime.timedelta(days=5))
    return a, b, c


def test_totals(data):
    totals = usage.usage_totals(WINDOW)
    assert (totals["decisions"], totals["llm"], totals["with_recommendation"], totals["departed"]) == (7, 4, 6, 3)
    assert totals["llm_rate"] == pytest.approx(4 / 7)
    assert totals["departed_rate"] == pytest.approx(3 / 6)
    assert (totals["measured"], totals["successes"]) == (6, 4)
    assert totals["success_rate"] == pytest.approx(4 / 6)


def test_success_rate_by_type_personality_and_path(data):
    rows = {(r["decision_type"], r["personality"], r["path"]): (r["decisions"], r["measured"], r["successes"],
                                                               r["success_rate"])
            for r in usage.success_by_path(WINDOW)}
    assert rows == {
        ("economic", "economic", "LLM, departed"): (1, 1, 0, 0.0),
        ("economic", "economic", "rules"): (1, 1, 1, 1.0),
        ("military", "aggressive", "LLM, departed"): (2, 1, 1, 1.0),
        ("military", "aggressive", "LLM, kept rule"): (1, 1, 1, 1.0),
        ("military", "aggressive", "rules"): (2, 2, 1, 0.5),
    }


def test_latency_percentiles_and_tokens_per_npc(data):
    a, b, _ = data
    rows = {r["npc_id"]: r for r in usage.llm_latency_per_npc(WINDOW)}
    assert set(rows) == {a.pk, b.pk}
    # percentile_cont interpolates: p95 of [100, 200, 300] is at position 0.95 × 2 = 1.9 → 200 + 0.9 × 100
    assert (rows[a.pk]["p50"], rows[a.pk]["p95"], rows[a.pk]["p99"]) == pytest.approx((200, 290, 298))
    assert rows[a.pk]["calls"] == 3 and rows[a.pk]["tokens"] == 3 * 48 // 4
    assert (rows[b.pk]["p50"], rows[b.pk]["p95"]) == (1000, 1000)
    assert rows[b.pk]["tokens"] == 3  # 10 characters / 4 = 2.5, rounded up


def test_latency_per_utc_day(data):
    rows = usage.llm_latency_per_day(WINDOW)
    assert [(r["day"].date(), r["calls"], r["p50"], r["tokens"]) for r in rows] == [
        (datetime.date(2026, 3, 1), 3, 200, 36),
        (datetime.date(2026, 3, 2), 1, 1000, 3),
    ]


def test_trouble_lists_failing_slow_and_rate_limited_npcs(data):
    a, b, _ = data
    rows = usage.llm_trouble_per_npc(WINDOW, slow_p95_ms=500)
    assert [(r["npc_id"], r["calls"], r["failed"], r["rate_limited"], r["slow"]) for r in rows] == [
        (a.pk, 3, 1, 0, False),
        (b.pk, 1, 0, 1, True),
    ]
    assert rows[0]["failure_rate"] == pytest.approx(1 / 3)
    assert [r["npc_id"] for r in usage.llm_trouble_per_npc(WINDOW, slow_p95_ms=5000)] == [a.pk, b.pk]
    assert [r["npc_id"] for r in usage.llm_trouble_per_npc(
        UsageWindow(since=DAY2, until=DAY2 + datetime.timedelta(hours=1)), slow_p95_ms=5000)] == [b.pk]


def test_world_filter(data):
    assert usage.usage_totals(UsageWindow(WINDOW.since, WINDOW.until, world_id="demo"))["decisions"] == 0


def test_percentile_fraction_is_validated():
    with pytest.raises(ValueError):
        usage.PercentileCont("llm_latency_ms", 1.5)


def test_rate_limit_counters_in_redis(redis_client):
    at_limit, below = NPCFactory(), NPCFactory()
    redis_client.set(f"ratelimit:llm:{at_limit.pk}", 12, ex=60)
    redis_client.set(f"ratelimit:llm:{below.pk}", 9, ex=60)
    redis_client.set("ratelimit:llm:not-a-number", 50)
    redis_client.set("ratelimit:llm:424242", 10)
    snapshot = usage.rate_limited_now()  # the runtime Redis that `redis_client` writes to
    assert snapshot.error == ""
    assert snapshot.npcs == [{"npc_id": at_limit.pk, "name": at_limit.name, "count": 12},
                             {"npc_id": 424242, "name": "(unknown NPC)", "count": 10}]


def test_rate_limit_snapshot_survives_redis_errors():
    from npcs.runtime.sync import SyncRuntime

    snapshot = usage.rate_limited_now(SyncRuntime("redis://127.0.0.1:1/0", deadline=0.5))
    assert snapshot.npcs == [] and "Redis unreachable" in snapshot.error


def test_usage_by_type_series_and_calls_per_npc_serve_the_decisions_dashboard():
    """The three aggregates /analytics/decisions/ reads from raw rows (exact, one NPC, short ranges)."""
    npc = NPCFactory()
    when = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
    for latency, llm, measured, success in ((10, True, True, True), (20, True, True, True),
                                            (30, False, True, False), (40, False, False, None)):
        NPCDecisionFactory(npc=npc, decision_type="military", decision_latency_ms=latency, used_llm=llm,
                           outcome_measured=measured, outcome_success=success, decision_confidence=latency / 100,
                           created_at=when)
    NPCDecisionFactory(npc=npc, decision_type="economic", created_at=when + datetime.timedelta(hours=2))
    [economic, military] = usage.usage_by_type(WINDOW)
    assert economic["decisions"] == 1
    assert military["decisions"] == 4 and military["llm_share"] == 0.5
    assert military["latency_p50"] == 25
    assert military["latency_p95"] == pytest.approx(38.5)
    assert military["latency_p99"] == pytest.approx(39.7)
    assert military["avg_confidence"] == pytest.approx(0.25)
    assert military["measured"] == 3 and military["success_rate"] == pytest.approx(2 / 3)
    calls = usage.llm_calls_per_npc(WINDOW)
    assert [(c["npc_id"], c["llm_calls"], c["decisions"]) for c in calls] == [(npc.id, 2, 5)]
    series = usage.usage_series(WINDOW, datetime.timedelta(hours=1))
    assert [(r["bucket"].hour, r["llm"], r["rule"]) for r in series] == [(12, 2, 2), (14, 0, 1)]
    only_this = UsageWindow(WINDOW.since, WINDOW.until, npc_id=npc.id + 1)
    assert usage.usage_by_type(only_this) == []
