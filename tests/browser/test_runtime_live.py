"""The runtime page updates in the browser without reload: over a real WebSocket served by daphne."""

from __future__ import annotations

import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command

from npcs.runtime.sync import SyncRuntime
from tests.browser.conftest import SCREENSHOTS
from tests.factories.npcs import NPCWorldStateFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]


def _login(page, base_url):
    page.goto(f"{base_url}/admin/login/?next=/runtime/")
    page.fill("#id_username", "gm")
    page.fill("#id_password", "gm-password-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/runtime/", wait_until="domcontentloaded")


def test_queue_depth_changes_live_when_a_decision_is_queued(page, game_master, asgi_server):
    state = NPCWorldStateFactory(npc__name="Vercingetorix")
    runtime = SyncRuntime()
    _login(page, asgi_server)
    page.wait_for_selector("#live-status.live")
    depth = page.locator("#queue-depth-3")
    assert depth.inner_text() == "0"

    runtime.queue_decision(state.npc_id, {"action": "defend_village"}, priority=3)
    page.wait_for_function("document.getElementById('queue-depth-3').textContent === '1'", timeout=5000)
    runtime.queue_decision(state.npc_id, {"action": "defend_village"}, priority=3)  # identical: stays two
    page.wait_for_function("document.getElementById('queue-depth-3').textContent === '2'", timeout=5000)
    page.screenshot(path=str(SCREENSHOTS / "npcadmin-runtime-queue.png"), full_page=True)

    page.reload(wait_until="domcontentloaded")
    assert "Vercingetorix" in page.locator("tr[data-priority='3']").inner_text()

    runtime.cache_npc_state(state.npc_id, {"villages": state.village_count, "population": 1,
                                           "rank": state.rank, "current_strategy": state.current_strategy})
    runtime.touch_active(state.npc_id)
    page.click("text=Active NPCs & state cache")
    assert page.locator("#differing-count").inner_text() == "1"
    assert "DB: " in page.locator("td.differs").first.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "npcadmin-runtime-npcs.png"), full_page=True)


def test_numbers_move_while_the_simulator_runs(page, game_master, asgi_server):
    NPCWorldStateFactory.create_batch(5)
    _login(page, asgi_server)
    page.wait_for_selector("#live-status.live")
    decisions = page.locator("[data-live='metrics.current.total']").first
    before = decisions.inner_text()

    simulator = threading.Thread(target=call_command, args=("runtime_simulate",), kwargs={
        "npcs": 5, "seconds": 6, "rate": 40, "seed": 3, "stdout": StringIO()})
    simulator.start()
    try:
        page.wait_for_function(
            f"document.querySelector(\"[data-live='metrics.current.total']\").textContent !== {before!r}",
            timeout=8000)
        page.wait_for_function("Number(document.querySelector(\"[data-live='active_count']\").textContent) >= 5",
                               timeout=8000)
        time.sleep(2)
        # the charts redraw every second: on a loaded machine a full-page capture takes a while
        page.screenshot(path=str(SCREENSHOTS / "npcadmin-runtime-simulator.png"), full_page=True, timeout=30_000)
    finally:
        simulator.join()
    assert int(page.locator("[data-live='queued_total']").inner_text()) >= 0

