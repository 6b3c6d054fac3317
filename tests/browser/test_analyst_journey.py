"""The analyst's journey in Chromium: from the sidebar to the boards, annotations on the time axis,
a legend click that hides a series (and keeps it hidden through a refresh), PNG export, and the
labelled relationship graph with its neighbourhood view."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.browser.test_analytics import world  # noqa: F401 (fixture)
from tests.browser.test_navigation import analyst_page  # noqa: F401 (fixture)
from tests.factories.npcs import NPCMemoryFactory

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_the_analyst_reads_annotated_boards_toggles_a_series_and_reads_the_graph(analyst_page, world):  # noqa: F811
    page = analyst_page
    npc = world[0].npc
    NPCMemoryFactory(npc=npc, world_id="testworld", memory_type="treaty_signed", event_data={"treaty_type": "nap"},
                     occurred_at=timezone.now() - datetime.timedelta(days=2))
    # One navigation: from the NPC list, the sidebar's Analytics area, then the tabs.
    page.goto(f"{page.base_url}/admin/npcs/npc/")
    page.click("#nav-areas a:text-is('Analytics')")
    page.wait_for_load_state()
    page.locator("#content a[href*='/analytics/overview/']").first.click()
    page.wait_for_selector("#chart-population .main-svg", timeout=30_000)

    # Annotations: battles and the treaty are marked on the time axis, one legend entry a kind.
    legend = " ".join(page.locator("#chart-population .legend .legendtext").all_text_contents())
    assert "⚑ battles" in legend and "⚑ treaties" in legend
    marks = page.evaluate("""document.getElementById('chart-population').data
        .filter(t => t.yaxis === 'y9' && t.mode === 'markers').map(t => t.x.length)""")
    assert len(marks) == 2 and all(n >= 1 for n in marks)
    assert page.locator("#card-annotations table tbody tr").count() >= 2

    # A legend click hides one series; the others stay drawn.
    page.locator("#chart-military .legend .traces").filter(
        has=page.locator(".legendtext", has_text="offensive")).locator(".legendtoggle").click()
    page.wait_for_function("document.getElementById('chart-military').data[0].visible === 'legendonly'")
    assert page.evaluate("document.getElementById('chart-military').data[1].visible") in (None, True)
    # ... and stays hidden when the refresh picker reloads the board.
    page.select_option("#refresh", "1m")
    page.wait_for_url("**refresh=1m**")
    page.wait_for_selector("#chart-military .main-svg")
    page.wait_for_function("document.getElementById('chart-military').data[0].visible === 'legendonly'")

    # PNG export of a panel.
    with page.expect_download() as download:
        page.click("button.png[data-chart='chart-population']")
    assert download.value.suggested_filename == "overview-population.png"

    # The relationship graph: labelled nodes; an NPC's neighbourhood names every contact.
    page.click("nav.tabs a:text-is('Diplomacy')")
    page.wait_for_selector("#chart-relationships .main-svg")
    labels = page.locator("#chart-relationships .textpoint").all_text_contents()
    assert f"{world[0].npc.name} (#{world[0].npc_id})" in labels  # everyone's contact: the best connected
    page.goto(f"{page.base_url}/analytics/diplomacy/?range=7d&world=testworld&npc={world[1].npc_id}")
    page.wait_for_selector("#chart-relationships .main-svg")
    labels = set(page.locator("#chart-relationships .textpoint").all_text_contents())
    assert {f"{world[1].npc.name} (#{world[1].npc_id})", f"{world[0].npc.name} (#{world[0].npc_id})"} <= labels
    assert page.locator("#card-relationships h2").inner_text().startswith("Neighbourhood of ")
