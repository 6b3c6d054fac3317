"""Each dashboard's numbers against values computed by hand on factory data."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from analytics import selectors
from analytics.filters import DashboardFilters, TimeRange
from analytics.services import metrics_hourly_refresh
from tests.factories.analytics import T0, NPCMetricFactory
from tests.factories.npcs import (
    NPCAllianceFactory,
    NPCBattleFactory,
    NPCDecisionFactory,
    NPCFactory,
    NPCMessageFactory,
    NPCRelationshipFactory,
    NPCTradeFactory,
    NPCWorldStateFactory,
)

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=1)


def recent(**kwargs) -> DashboardFilters:
    now = timezone.now()
    return DashboardFilters("24h", TimeRange(now - datetime.timedelta(days=1), now + datetime.timedelta(minutes=1)),
                            **kwargs)


@pytest.fixture
def metrics():
    NPCMetricFactory(time=T0, npc_id=1, population=100, rank=5, wood_production=60)
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=20), npc_id=1, population=200, rank=7, wood_production=90)
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=40), npc_id=1, population=None, rank=None,
                     wood_production=30)
    NPCMetricFactory(time=T0 + H, npc_id=1, population=400, rank=3, wood_production=120)
    NPCMetricFactory(time=T0 + datetime.timedelta(minutes=10), npc_id=2, world_id="demo", population=50, rank=10,
                     wood_production=100)


def test_world_series_hourly(metrics):
    metrics_hourly_refresh(now=T0 + 3 * H)
    filters = DashboardFilters("custom", TimeRange(T0 - 10 * H, T0 + 2 * H))
    rows = {r["bucket"]: r for r in selectors.metric_series(filters)}
    assert sorted(rows) == [T0, T0 + H]
    hour = rows[T0]
    assert hour["population"] == 150 + 50
    assert hour["avg_rank"] == (6 + 10) / 2
    assert hour["wood_produced"] == 60 + 100  # average rate × 1 h, summed over NPCs
    assert hour["total_wood_produced"] == 180 + 100  # the seed's column, summed as is
    assert hour["offensive_power"] == 1000 and hour["npcs"] == 2 and hour["samples"] == 4
    assert rows[T0 + H]["population"] == 400


def test_world_filter_and_npc_filter(metrics):
    filters = DashboardFilters("custom", TimeRange(T0 - 10 * H, T0 + 2 * H), world_id="demo")
    assert [r["population"] for r in selectors.metric_series(filters)] == [50]
    filters = DashboardFilters("custom", TimeRange(T0 - 10 * H, T0 + 2 * H), npc_id=1)
    assert [r["population"] for r in selectors.metric_series(filters)] == [150, 400]


def test_short_ranges_use_five_minute_buckets_from_raw(metrics):
    filters = DashboardFilters("custom", TimeRange(T0, T0 + H), npc_id=1)
    rows = selectors.metric_series(filters)
    assert [r["bucket"].minute for r in rows] == [0, 20, 40]
    assert rows[0]["wood_produced"] == pytest.approx(60 * 5 / 60)


def test_daily_buckets_weight_hours_by_samples():
    for minute, population in ((0, 100), (20, 200), (40, 300)):
        NPCMetricFactory(time=T0 + datetime.timedelta(minutes=minute), npc_id=1, population=population)
    NPCMetricFactory(time=T0 + 5 * H, npc_id=1, population=600)
    metrics_hourly_refresh(now=T0 + 6 * H)
    filters = DashboardFilters("custom", TimeRange(T0 - datetime.timedelta(days=40), T0 + datetime.timedelta(days=1)))
    [day] = selectors.metric_series(filters)
    assert day["population"] == pytest.approx((100 + 200 + 300 + 600) / 4)
    assert day["wood_produced"] == 200  # two hours at 100 per hour


def test_latest_standings(metrics):
    npc = NPCFactory(id=1, name="alpha")
    filters = DashboardFilters("custom", TimeRange(T0 - 10 * H, T0 + 2 * H))
    rows = selectors.latest_standings(filters)
    assert [(r["npc_id"], r["name"], r["population"], r["rank"]) for r in rows] == [
        (1, npc.name, 400, 3.0), (2, "NPC #2 (deleted)", 50, 10.0)]


def test_battle_stats_by_personality_and_tribe():
    npc = NPCFactory(personality="aggressive", tribe="Romans")
    predicted = {"predicted_result": "victory", "confidence": 0.8}
    NPCBattleFactory(npc=npc, result="victory", prediction_accuracy=0.9, prediction_made=predicted,
                     resources_gained=1000, resources_lost=100)
    NPCBattleFactory(npc=npc, result="defeat", prediction_accuracy=0.5, prediction_made=predicted,
                     resources_gained=0, resources_lost=700)
    NPCBattleFactory(npc=npc, result="victory", prediction_accuracy=None, resources_gained=500)
    [row] = selectors.battle_stats(recent())
    assert (row["personality"], row["tribe"], row["battles"], row["victories"]) == ("aggressive", "Romans", 3, 2)
    assert row["win_rate"] == pytest.approx(2 / 3)
    assert row["avg_prediction_accuracy"] == pytest.approx(0.7)
    assert row["prediction_hit_rate"] == 0.5
    assert (row["resources_gained"], row["resources_lost"]) == (1500, 800)


def test_trades_and_profit_margins():
    eco = NPCFactory(personality="economic")
    agg = NPCFactory(personality="aggressive")
    NPCTradeFactory(npc=eco, profit_margin=0.2, exchange_rate=1.2, market_rate_at_time=1.0)
    NPCTradeFactory(npc=eco, profit_margin=0.1, trade_status="pending")
    NPCTradeFactory(npc=agg, profit_margin=-0.3)
    by_personality = {r["personality"]: r for r in selectors.profit_by(recent(), group="personality")}
    assert by_personality["economic"]["avg_profit_margin"] == pytest.approx(0.15)
    assert by_personality["aggressive"]["trades"] == 1
    by_npc = selectors.profit_by(recent(), group="npc")
    assert [(r["side"], r["npc_id"]) for r in by_npc] == [("best", eco.id), ("best", agg.id),
                                                          ("worst", agg.id), ("worst", eco.id)]
    statuses = {r["status"]: r["trades"] for r in selectors.trade_series(recent())}
    assert statuses == {"completed": 2, "pending": 1}
    assert len(selectors.trade_rates(recent())) == 3


def test_message_rates_by_type():
    npc = NPCFactory()
    for received, positive, achieved in ((True, True, True), (True, False, False), (False, None, None),
                                         (False, None, None)):
        NPCMessageFactory(from_npc=npc, message_type="trade_offer", response_received=received,
                          response_positive=positive, objective_achieved=achieved)
    [row] = selectors.message_stats(recent())
    assert (row["message_type"], row["sent"]) == ("trade_offer", 4)
    assert row["response_rate"] == 0.5 and row["positive_rate"] == 0.5 and row["success_rate"] == 0.5


def test_relationship_graph_nodes_edges_and_filters():
    alliance = NPCAllianceFactory(world_id="testworld", alliance_id=7, name="Iron Pact")
    a = NPCWorldStateFactory(world_id="testworld", player_id=1001, alliance_id=alliance.alliance_id)
    b = NPCWorldStateFactory(world_id="testworld", player_id=1002)
    NPCRelationshipFactory(npc=a.npc, world_id="testworld", target_player_id=1002, trust_score=80,
                           relationship_type="ally")
    NPCRelationshipFactory(npc=a.npc, world_id="testworld", target_player_id=9999, trust_score=-50,
                           relationship_type="enemy")
    NPCRelationshipFactory(npc=b.npc, world_id="testworld", target_player_id=9998, trust_score=5)
    npcs_only = selectors.relationship_graph(recent(world_id="testworld"))  # the world view's default
    assert [(e["source_npc"], e["target_npc"]) for e in npcs_only["edges"]] == [(a.npc_id, b.npc_id)]
    graph = selectors.relationship_graph(recent(world_id="testworld", extra=(("players", "1"),)))
    assert {(e["source_npc"], e["target_npc"], e["target_player_id"]) for e in graph["edges"]} == {
        (a.npc_id, b.npc_id, 1002), (a.npc_id, None, 9999), (b.npc_id, None, 9998)}
    assert {n["npc_id"]: n["alliance"] for n in graph["npcs"]} == {a.npc_id: "Iron Pact", b.npc_id: None}
    assert graph["players"] == [9998, 9999]
    strong = selectors.relationship_graph(recent(world_id="testworld", extra=(("min_trust", "50"), ("players", "1"))))
    assert len(strong["edges"]) == 2
    enemies = selectors.relationship_graph(recent(world_id="testworld",
                                                  extra=(("relationship_type", "enemy"), ("players", "1"))))
    assert [e["trust_score"] for e in enemies["edges"]] == [-50]
    about_b = selectors.relationship_graph(recent(world_id="testworld", npc_id=b.npc_id))
    assert {e["source_npc"] for e in about_b["edges"]} == {a.npc_id, b.npc_id} and len(about_b["edges"]) == 2


def test_npc_timeline_events():
    npc = NPCFactory()
    NPCBattleFactory(npc=npc, result="victory", resources_gained=300)
    NPCDecisionFactory(npc=npc, decision_type="strategic", final_decision={"strategy": "military"})
    from tests.factories.npcs import NPCMemoryFactory

    NPCMemoryFactory(npc=npc, memory_type="treaty_signed", event_data={"treaty_type": "NAP", "partner": "Bob"},
                     occurred_at=timezone.now() - datetime.timedelta(minutes=5))
    NPCMemoryFactory(npc=npc, memory_type="battle")  # not a timeline marker
    events = selectors.npc_timeline_events(recent(npc_id=npc.id))
    assert sorted(e["kind"] for e in events) == ["battle", "strategy", "treaty"]
    labels = {e["kind"]: e["label"] for e in events}
    assert labels["treaty"] == "treaty signed: NAP with Bob"
    assert labels["strategy"] == "strategy: military"
    assert labels["battle"] == "victory (attack)"
