"""A game master asks an NPC's mind: rank memories for a typed situation, then open a decision trace."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories.mind import LessonMemoryFactory, LLMDecisionFactory
from tests.factories.npcs import NPCBattleFactory, NPCMemoryFactory, NPCWorldStateFactory

SCREENSHOTS = Path(os.environ.get("NPCADMIN_SCREENSHOTS",
                                  Path(__file__).resolve().parents[2] / ".data" / "screenshots"))


@pytest.mark.django_db(transaction=True)
def test_rank_memories_for_a_situation_then_open_a_decision_trace(gm_page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = gm_page
    now = timezone.now()
    npc = NPCWorldStateFactory(world_id="testworld", npc__name="Brennus").npc
    for hours in range(1, 12):
        NPCMemoryFactory(npc=npc, occurred_at=now - datetime.timedelta(hours=hours), importance=0.6,
                         event_data={"opponent": f"Player{hours}", "result": "victory"})
    catapults = NPCMemoryFactory(npc=npc, occurred_at=now - datetime.timedelta(days=20), importance=0.3,
                                 event_data={"opponent": "Vercingetorix", "siege": "catapults destroyed the wall"},
                                 lesson_learned="Catapults from Vercingetorix come at night", emotional_weight=-0.8)
    LessonMemoryFactory(npc=npc, occurred_at=now - datetime.timedelta(days=2), event_data={"battle_id": 12345})
    decided_at = now - datetime.timedelta(hours=3)
    decision = LLMDecisionFactory(
        npc=npc, created_at=decided_at, decision_type="military",
        situation_summary="Vercingetorix is gathering catapults near the capital.",
        rule_based_recommendation={"action": "defend", "village": 1, "troops": {"phalanx": 200}},
        final_decision={"action": "attack", "village": 1, "troops": {"phalanx": 200, "swordsman": 50}},
        llm_prompt="You are Brennus, a Gaul.\n" + "Recent events: ...\n" * 60 + "Reply with JSON.",
        llm_response='{"action": "attack", "reason": "strike before the siege is ready"}', llm_latency_ms=1450,
        execution_started_at=decided_at + datetime.timedelta(seconds=4),
        execution_completed_at=decided_at + datetime.timedelta(minutes=2),
        execution_result={"status": "ok", "wave": 1}, outcome_data={"battle_id": 777, "result": "victory"},
    )
    NPCBattleFactory(npc=npc, occurred_at=decided_at + datetime.timedelta(hours=1), battle_id=777)

    page.goto(f"{page.base_url}/npcs/mind/{npc.pk}/memories/")
    page.fill("input[name=situation]", "catapults at night")
    page.click("#recall-form button[type=submit]")
    page.wait_for_selector("#recall-results")
    # Equal weights: fresh, fairly important memories win over an old one that matches.
    assert page.locator("#recall-results tbody tr").first.get_attribute("data-memory") != str(catapults.pk)
    page.fill("input[name=w_relevance]", "5")
    page.click("#recall-form button[type=submit]")
    page.wait_for_url("**w_relevance=5**")
    page.wait_for_selector("#recall-results")
    first_row = page.locator("#recall-results tbody tr").first
    assert first_row.get_attribute("data-memory") == str(catapults.pk)
    assert "Catapults from Vercingetorix" in first_row.inner_text()
    assert "aggression +0.05 after battle 12345" in page.locator("#lessons").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "mind_recall.png"), full_page=True)

    page.click("nav.subnav a:text-is('Decisions')")
    page.wait_for_selector("#timeline")
    assert "departed" in page.locator("#timeline").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "mind_timeline.png"), full_page=True)
    page.click(f"a[href='/npcs/mind/decisions/{decision.pk}/']")
    page.wait_for_selector("#recommendation-vs-final")
    diff = page.locator("#diff").inner_text()
    assert "$.action" in diff and "$.troops.swordsman" in diff
    page.locator("#llm details summary").first.click()
    assert page.locator("#llm details").first.get_attribute("open") is not None
    assert "777" in page.locator("#battles-around").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "mind_trace.png"), full_page=True)

    page.click("#recall-link")
    page.wait_for_selector("#recall-results")
    assert page.locator("#recall-results tbody tr").first.get_attribute("data-memory") is not None


@pytest.mark.django_db(transaction=True)
def test_overview_across_npcs(gm_page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = gm_page
    now = timezone.now()
    slow = NPCWorldStateFactory(npc__name="Slowpoke", npc__personality="diplomat").npc
    failing = NPCWorldStateFactory(npc__name="Crashy", npc__personality="aggressive").npc
    for i in range(6):
        LLMDecisionFactory(npc=slow, llm_latency_ms=7000 + i * 500, created_at=now - datetime.timedelta(hours=i * 9))
        LLMDecisionFactory(npc=failing, llm_latency_ms=900, created_at=now - datetime.timedelta(hours=i * 9),
                           final_decision={"action": "attack"}, outcome_success=i % 2 == 0,
                           execution_result={"error": "LLM timeout"} if i < 2 else {"status": "ok"})
    page.goto(f"{page.base_url}/npcs/mind/decisions/")
    page.wait_for_selector("#trouble")
    trouble = page.locator("#trouble").inner_text()
    assert "Slowpoke" in trouble and "slow" in trouble and "Crashy" in trouble and "failing" in trouble
    assert "Slowpoke" in page.locator("#per-npc").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "mind_overview.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_game_master_adjusts_a_memory_and_sees_the_audit(gm_page):
    page = gm_page
    npc = NPCWorldStateFactory(world_id="testworld", npc__name="Ambiorix").npc
    memory = NPCMemoryFactory(npc=npc, importance=0.4, occurred_at=timezone.now() - datetime.timedelta(hours=2),
                              event_data={"opponent": "Caesar", "result": "defeat"})
    page.goto(f"{page.base_url}/npcs/mind/{npc.pk}/memories/?situation=Caesar")
    page.click(f"#recall-results tr[data-memory='{memory.pk}'] a:text-is('adjust')")
    page.fill("input[name=importance]", "0.95")
    page.fill("input[name=reason]", "Caesar is the arch-enemy")
    page.click("#adjust-form button[type=submit]")
    page.wait_for_url("**situation=Caesar**")
    assert "updated" in page.locator("ul.messagelist").inner_text()
    assert "0.950" in page.locator(f"#recall-results tr[data-memory='{memory.pk}']").inner_text()
    page.goto(f"{page.base_url}/npcs/mind/memories/{memory.pk}/adjust/")
    audit = page.locator("#audit").inner_text()
    assert "importance: 0.4 → 0.95" in audit and "Caesar is the arch-enemy" in audit and "gm" in audit
    page.screenshot(path=str(SCREENSHOTS / "mind_adjust.png"), full_page=True)
