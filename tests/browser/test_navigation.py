"""One product in Chromium: the areas' navigation, the analyst's read-only NPC, one time range."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Group

from npcadmin.access import roles_sync
from tests.browser.test_analytics import world  # noqa: F401 (fixture)
from tests.factories.npcs import NPCFactory

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def _log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.base_url = live_server.url
    return page


@pytest.fixture
def analyst_page(page, live_server, django_user_model):
    roles_sync()
    user = django_user_model.objects.create_user("ana", password="analyst-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="analyst"))
    return _log_in(page, live_server, "ana", "analyst-pass-123")


def test_a_game_master_walks_every_area_from_the_sidebar_and_view_site_is_the_dashboard(gm_page):
    page = gm_page
    page.click("text=View site")
    page.wait_for_selector("#area-cards")
    assert page.url.rstrip("/") == page.base_url  # not a redirect back to /admin/
    for label in ("Worlds", "Mind", "Runtime", "Analytics", "NPCs console"):
        page.click(f"#nav-areas a:text-is('{label}')")
        page.wait_for_load_state()
        assert page.locator("#nav-areas a[aria-current=page]").inner_text() == label
        assert page.locator("#header #site-name").inner_text().strip() == "NPC Admin"
    # Dark mode everywhere: the admin's own toggle, remembered across pages.
    page.goto(f"{page.base_url}/worlds/")
    while page.evaluate("document.documentElement.dataset.theme") != "dark":
        page.click("button.theme-toggle")
    page.goto(f"{page.base_url}/analytics/overview/")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 20, 28)"


def test_the_analysts_read_only_npc_shows_its_weights(analyst_page):
    page = analyst_page
    npc = NPCFactory(behavior_template={"aggression": 0.88, "economy": 0.25, "diplomacy": 0.5,
                                        "risk_tolerance": 0.1, "patience": 0.7, "adaptability": 0.3,
                                        "building_priority": ["barracks"], "goals": ["conquer"]})
    page.goto(f"{page.base_url}/admin/npcs/npc/{npc.pk}/change/")
    sliders = page.locator(".npc-weight-readonly input[type=range]")
    assert sliders.count() == 6
    assert sliders.first.is_disabled() and sliders.first.input_value() == "0.88"
    assert page.locator(".npc-weight-readonly output").first.inner_text() == "0.88"
    assert "None" not in page.locator("fieldset").first.inner_text()
    assert "Analytics" in page.locator("#nav-areas").inner_text()  # the analyst's areas are in the one sidebar


def test_a_zoom_on_one_chart_sets_the_url_and_every_panel(gm_page, world):  # noqa: F811
    page = gm_page
    page.goto(f"{page.base_url}/analytics/overview/?range=7d")
    page.wait_for_selector("#chart-population .main-svg")
    box = page.locator("#chart-population .nsewdrag").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.4, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=8)
    page.mouse.up()
    page.wait_for_url(re.compile(r"from=\d+&to=\d+"))
    page.wait_for_selector("#chart-military .main-svg")
    query = dict(p.split("=") for p in page.url.split("?", 1)[1].split("&"))
    span = (int(query["to"]) - int(query["from"])) / 1000
    assert datetime.timedelta(days=7) * 0.1 < datetime.timedelta(seconds=span) < datetime.timedelta(days=7) * 0.3
    ranges = page.evaluate("""Array.from(document.querySelectorAll('div.chart.time-chart'))
        .map(d => d.layout.xaxis.range.join('/'))""")
    assert len(ranges) >= 3 and len(set(ranges)) == 1  # every time panel shows the zoomed range
    page.reload()  # the URL alone is the view: shareable
    page.wait_for_selector("#chart-population .main-svg")
    assert page.evaluate("document.getElementById('chart-population').layout.xaxis.range.join('/')") == ranges[0]


def test_the_refresh_picker_redraws_for_any_range(gm_page, world):  # noqa: F811
    page = gm_page
    page.goto(f"{page.base_url}/analytics/overview/?range=30d")
    page.wait_for_selector("#chart-population .main-svg")
    page.select_option("#refresh", "10s")
    page.wait_for_url("**refresh=10s**")
    page.wait_for_selector("#chart-population .main-svg")
    first = page.get_attribute("#charts", "data-drawn-at")
    page.wait_for_function(f"document.getElementById('charts') && "
                           f"document.getElementById('charts').dataset.drawnAt !== '{first}'", timeout=20_000)
    page.wait_for_selector("#chart-population .main-svg")
    assert "refresh=10s" in page.url
