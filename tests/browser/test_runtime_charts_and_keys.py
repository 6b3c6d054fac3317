"""The runtime's charts move while the simulator runs; the key browser finds, shows and deletes a key (ops only).

Screenshots of both pages at 1440x900, light and dark, go to $NPCADMIN_SCREENSHOTS (default /tmp).
"""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command

from npcs.runtime.sync import SyncRuntime
from tests.browser.conftest import SCREENSHOTS
from tests.factories.access import PASSWORD, user_in_role
from tests.factories.npcs import NPCWorldStateFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture
def wide_page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.errors = errors
    yield page
    context.close()


def _login(page, base_url, username, next_path="/runtime/"):
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}", wait_until="domcontentloaded")


def _shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(400)  # the theme observer redraws the charts
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{scheme}.png"), full_page=False)
    page.emulate_media(color_scheme="light")


def _points(page, chart):
    return int(page.get_attribute(f"#{chart}", "data-points"))


def test_the_charts_move_while_the_simulator_runs(wide_page, asgi_server):
    page = wide_page
    user_in_role("ops", username="ops")
    NPCWorldStateFactory.create_batch(3)
    _login(page, asgi_server, "ops")
    page.wait_for_selector("#live-status.live")
    page.wait_for_selector("#chart-queue-depth .main-svg", state="attached")
    assert page.locator("#queues-empty").is_visible()  # nothing queued yet: the empty band
    start = _points(page, "chart-queue-depth")
    decisions_before = page.get_attribute("#chart-decisions", "data-last")

    simulator = threading.Thread(target=call_command, args=("runtime_simulate",), kwargs={
        "npcs": 8, "seconds": 10, "rate": 40, "seed": 5, "stdout": StringIO()})
    simulator.start()
    try:
        # a depth point per second and this minute's decisions counted, without a reload
        page.wait_for_function(
            f"Number(document.getElementById('chart-queue-depth').dataset.points) >= {start + 4}", timeout=15_000)
        page.wait_for_function(
            f"document.getElementById('chart-decisions').dataset.last !== {decisions_before!r}", timeout=15_000)
        page.wait_for_function("Number(document.getElementById('chart-queue-depth').dataset.last) > 0",
                               timeout=15_000)
        assert not page.locator("#queues-empty").is_visible()
        assert page.locator("#chart-decisions .bars path").count() > 0
        assert page.locator("#chart-latency .scatterlayer .trace").count() == 1
        page.wait_for_timeout(1500)
        _shoot(page, "runtime-overview")
    finally:
        simulator.join()

    # The first paint of a new page draws the hour the feed sampled, from Redis.
    sampled = _points(page, "chart-queue-depth")
    page.reload(wait_until="domcontentloaded")
    try:
        page.wait_for_selector("#chart-queue-depth .main-svg", state="attached")
    except Exception:
        print("ERRORS", page.errors, page.url, page.content()[:3000])
        raise
    assert _points(page, "chart-queue-depth") >= sampled - 1
    assert not page.errors


def test_ops_find_show_and_delete_a_key(wide_page, asgi_server):
    page = wide_page
    user_in_role("ops", username="ops")
    runtime = SyncRuntime()
    runtime.queue_decision(41, {"action": "attack", "target": 1207, "reason": "weak walls"}, priority=2)
    runtime.cache_llm_response("f" * 64, {"decision": "trade", "confidence": 0.82})
    runtime.cache_npc_state(41, {"villages": 3, "population": 800, "rank": 12})
    _login(page, asgi_server, "ops")
    page.click("#nav-redis-keys")
    page.wait_for_url("**/runtime/keys/")
    page.click("text=Decision queues")
    page.wait_for_selector("#key-rows")
    assert "npc:decisions:2" in page.locator("#key-rows").inner_text()
    page.fill("#id_pattern", "*")
    page.click("#key-search button[type=submit]")
    rows = page.locator("#key-rows").inner_text()
    assert "llm:response:" in rows and "npc:state:41" in rows and "zset" in rows and "hash" in rows
    _shoot(page, "runtime-keys")

    page.click("a:has-text('npc:decisions:2')")
    page.wait_for_selector("#key-value")
    value = page.locator("#key-value").inner_text()
    assert '"target": 1207' in value and '"reason": "weak walls"' in value  # pretty-printed JSON
    _shoot(page, "runtime-key")

    page.click("#key-value >> xpath=preceding::a[contains(., 'Delete')][1]")
    page.wait_for_selector("#delete-key")
    page.click("#delete-key")  # without the box ticked: the form is not sent, the key stays
    assert "/runtime/keys/delete/" in page.url and runtime.key_summaries(["npc:decisions:2"])[0].type == "zset"
    page.check("input[name=confirm]")
    page.click("#delete-key")
    page.wait_for_url("**/runtime/keys/")
    assert "Deleted the key npc:decisions:2" in page.content()
    assert runtime.key_summaries(["npc:decisions:2"])[0].type == "none"


def test_an_analyst_has_no_key_browser(wide_page, asgi_server):
    page = wide_page
    user_in_role("analyst", username="analyst")
    _login(page, asgi_server, "analyst")
    assert page.locator("#nav-redis-keys").count() == 0
    response = page.goto(f"{asgi_server}/runtime/keys/?pattern=*")
    assert response.status == 403
