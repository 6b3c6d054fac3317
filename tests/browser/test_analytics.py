"""An analyst opens every dashboard, sees the charts drawn, and changes the time range."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from analytics.dashboards import DASHBOARDS
from analytics.services import metrics_delete, metrics_generate
from tests.factories.npcs import (
    NPCBattleFactory,
    NPCDecisionFactory,
    NPCMessageFactory,
    NPCRelationshipFactory,
    NPCTradeFactory,
    NPCWorldStateFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    states = [NPCWorldStateFactory(world_id="testworld") for _ in range(6)]
    for state in states:
        NPCDecisionFactory(npc=state.npc, used_llm=True, decision_latency_ms=900)
        NPCDecisionFactory(npc=state.npc, decision_type="strategic", final_decision={"strategy": "military"},
                           created_at=timezone.now() - datetime.timedelta(days=3))
        NPCBattleFactory(npc=state.npc, resources_gained=500)
        NPCBattleFactory(npc=state.npc, result="defeat", occurred_at=timezone.now() - datetime.timedelta(days=5))
        NPCTradeFactory(npc=state.npc)
        NPCMessageFactory(from_npc=state.npc)
        NPCRelationshipFactory(npc=state.npc, world_id="testworld", target_player_id=states[0].player_id,
                               trust_score=-60)
    metrics_generate(days=10, interval=datetime.timedelta(hours=1), end=timezone.now())
    yield states
    # npc_metrics is unmanaged: the transactional test flush does not empty it.
    metrics_delete()


def test_every_dashboard_draws_its_charts_and_the_range_can_change(gm_page, world):
    page = gm_page
    for slug in DASHBOARDS:
        query = f"?range=7d&npc={world[0].npc_id}" if slug == "npc" else "?range=7d"
        page.goto(f"{page.base_url}/analytics/{slug}/{query}")
        page.wait_for_selector("div.chart .main-svg")
        drawn = page.locator("div.chart .main-svg").count()
        assert drawn >= page.locator("div.chart").count() > 0, slug
        page.screenshot(path=f"/tmp/npcadmin-analytics-{slug}.png", full_page=True)

    page.goto(f"{page.base_url}/analytics/overview/?range=7d")
    page.wait_for_selector("#chart-population .main-svg")
    points_week = page.evaluate("document.getElementById('chart-population').data[0].x.length")
    page.click("a[data-range='24h']")
    page.wait_for_url("**range=24h**")
    page.wait_for_selector("#chart-population .main-svg")
    points_day = page.evaluate("document.getElementById('chart-population').data[0].x.length")
    assert 20 <= points_day < points_week
    # Custom range: the date fields appear only for it.
    assert not page.locator("#id_start").is_visible()
    page.select_option("#id_range", "custom")
    assert page.locator("#id_start").is_visible()
    page.goto(f"{page.base_url}/analytics/overview/?range=24h&world=testworld")
    page.wait_for_selector("#chart-population .main-svg")
    page.screenshot(path="/tmp/npcadmin-analytics-overview.png", full_page=True)
    page.goto(f"{page.base_url}/analytics/npc/?range=7d&npc={world[0].npc_id}")
    page.wait_for_selector("#chart-military .main-svg")
    page.screenshot(path="/tmp/npcadmin-analytics-npc.png", full_page=True)
    page.goto(f"{page.base_url}/analytics/decisions/?range=7d")
    page.wait_for_selector("#chart-latency .main-svg")
    page.screenshot(path="/tmp/npcadmin-analytics-decisions.png", full_page=True)
    page.goto(f"{page.base_url}/analytics/diplomacy/?range=7d&world=testworld")
    page.wait_for_selector("#chart-relationships .main-svg")
    page.screenshot(path="/tmp/npcadmin-analytics-diplomacy.png", full_page=True)
