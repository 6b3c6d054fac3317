"""Key journeys of the game-master console in headless Chromium.

Screenshots land in $NPCADMIN_SCREENSHOTS (default /tmp/npcadmin-screens) for a human look.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from npcs import services
from npcs.models import NPC, NPCRelationship
from npcs.selectors import npc_edit_token
from tests.factories.console import npc_with_history
from tests.factories.npcs import NPCFactory, NPCRelationshipFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("NPCADMIN_SCREENSHOTS", "/tmp/npcadmin-screens"))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_find_npc_edit_template_with_error_then_save_and_see_history(gm_page):
    page = gm_page
    npc = npc_with_history(rows=2, name="Brennus", personality="aggressive")
    page.goto(f"{page.base_url}/admin/npcs/npc/?q=Brenn")
    shot(page, "npc-changelist")
    page.click("text=Brennus")
    page.fill("#id_aggression", "1.5")
    shot(page, "npc-change-form")
    page.click("input[name=_save]")
    error = page.locator(".form-row.field-aggression .errorlist")
    assert "less than or equal to 1" in error.inner_text()
    shot(page, "npc-change-form-error")
    page.fill("#id_aggression_slider", "0.42")  # the slider drives the number
    assert page.input_value("#id_aggression") == "0.42"
    page.click("input[name=_save]")
    assert "was changed successfully" in page.locator(".messagelist").inner_text()
    npc.refresh_from_db()
    assert npc.behavior_template["aggression"] == 0.42 and npc.version == 2
    page.goto(f"{page.base_url}/admin/npcs/npc/{npc.pk}/template-history/")
    row = page.locator("#template-history tbody tr").first
    assert "v2" in row.inner_text() and "aggression" in row.inner_text() and "gm" in row.inner_text()
    shot(page, "npc-template-history")
    page.goto(f"{page.base_url}/admin/npcs/npc/{npc.pk}/overview/")
    shot(page, "npc-overview")
    page.emulate_media(color_scheme="dark")
    page.goto(f"{page.base_url}/admin/")
    assert page.locator("#console-counts").is_visible()
    shot(page, "console-home-dark")
    page.goto(f"{page.base_url}/admin/npcs/npc/{npc.pk}/change/")
    shot(page, "npc-change-form-dark")


def test_conflicting_edit_is_refused_cleanly(gm_page):
    page = gm_page
    npc = NPCFactory(name="Contested", llm_temperature=0.7)
    page.goto(f"{page.base_url}/admin/npcs/npc/{npc.pk}/change/")
    page.fill("#id_llm_temperature", "1.9")
    # Meanwhile another game master saves.
    services.npc_update(npc=npc, data={"llm_temperature": 0.2}, expected_token=npc_edit_token(npc))
    page.click("input[name=_save]")
    note = page.locator(".errorlist.nonfield")
    assert "changed this NPC" in note.inner_text() and "0.7 → 0.2" in note.inner_text()
    shot(page, "npc-conflict")
    npc.refresh_from_db()
    assert npc.llm_temperature == 0.2


def test_bulk_pause_with_confirmation(gm_page):
    page = gm_page
    NPCFactory(name="Alpha")
    NPCFactory(name="Beta", paused=True)
    NPCFactory(name="Gamma")
    page.goto(f"{page.base_url}/admin/npcs/npc/")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "pause_npcs")
    page.click("button[name=index]")
    summary = page.locator(".npc-confirm-summary").inner_text()
    assert "2 of the 3 selected NPC(s) will be paused; 1 already are." in summary
    shot(page, "npc-bulk-pause-confirm")
    page.click("input[type=submit].default")
    assert "2 NPC(s) paused." in page.locator(".messagelist").inner_text()
    assert NPC.objects.filter(paused=True).count() == 3


def test_edit_a_treaty(gm_page):
    page = gm_page
    rel = NPCRelationshipFactory()
    page.goto(f"{page.base_url}/admin/npcs/npcrelationship/{rel.pk}/change/")
    page.select_option("select[name='treaties_active-0-type']", "NAP")
    page.fill("input[name='treaties_active-0-start']", "2026-03-01")
    page.fill("input[name='treaties_active-0-end']", "2026-02-01")
    page.click("input[name=_continue]")
    assert "end must be after start" in page.locator(".form-row.field-treaties_active").inner_text()
    page.fill("input[name='treaties_active-0-end']", "2026-09-01")
    page.click("text=Add another treaty")
    page.select_option("select[name='treaties_active-1-type']", "trade_agreement")
    page.fill("input[name='treaties_active-1-start']", "2026-04-01")
    page.click("input[name=_continue]")
    assert "was changed successfully" in page.locator(".messagelist").inner_text()
    shot(page, "relationship-treaties")
    rel = NPCRelationship.objects.get(pk=rel.pk)
    assert [t["type"] for t in rel.treaties_active] == ["NAP", "trade_agreement"]
