"""A game master switches worlds and edits a village's NPC configuration in the browser."""

import pytest

from tests.factories.worlds import NPCBuildQueueHistoryFactory, NPCVillageConfigFactory
from tests.worlds.outage import world_down
from worlds.models import NPCVillageConfig

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


def test_switch_worlds_and_edit_a_village_configuration(gm_page):
    page = gm_page
    demo = NPCVillageConfigFactory(world="demo", village__name="Ironhold", warehouse_reserve=5000)
    NPCBuildQueueHistoryFactory.create_batch(3, world="demo", config=demo)
    NPCVillageConfigFactory(world="testworld", village__name="Testford")

    page.goto(f"{page.base_url}/worlds/")
    page.get_by_role("link", name="testworld").first.click()
    page.wait_for_url("**/worlds/testworld/")
    assert page.get_by_role("link", name="Testford").is_visible()
    assert page.get_by_role("link", name="Ironhold").count() == 0

    page.locator(".world-tabs a[data-world=demo]").click()  # switch world
    page.wait_for_url("**/worlds/demo/")
    page.screenshot(path="/tmp/npcadmin-worlds-villages.png", full_page=True)
    page.get_by_role("link", name="Ironhold").click()

    # a wrong value first: two resources on the same rank, and JSON that is not an object
    page.select_option("select[name=resource_priority_wood]", "1")
    page.select_option("select[name=resource_priority_clay]", "1")
    page.fill("textarea[name=build_queue_strategy]", "[1, 2]")
    page.get_by_role("button", name="Save configuration").click()
    assert "two resources cannot share a rank" in page.content()
    assert "Must be a JSON object" in page.content()
    page.screenshot(path="/tmp/npcadmin-worlds-config-errors.png", full_page=True)

    page.select_option("select[name=resource_priority_clay]", "2")
    page.fill("textarea[name=build_queue_strategy]", '{"max_queue": 3, "focus": ["barracks"]}')
    page.select_option("select[name=village_type]", "military")
    page.fill("input[name=warehouse_reserve]", "8000")
    page.check("input[name=auto_raid_enabled]")
    page.get_by_role("button", name="Save configuration").click()
    page.wait_for_selector("text=Saved the NPC configuration of Ironhold")
    page.screenshot(path="/tmp/npcadmin-worlds-config-saved.png", full_page=True)

    stored = NPCVillageConfig.objects.in_world("demo").get(pk=demo.pk)
    assert (stored.village_type, stored.warehouse_reserve, stored.auto_raid_enabled) == ("military", 8000, True)
    assert stored.build_queue_strategy == {"max_queue": 3, "focus": ["barracks"]}
    assert stored.resource_priority == {"wood": 1, "clay": 2, "iron": 3, "wheat": 4}


def test_a_world_that_is_down_shows_a_banner_and_the_way_out(gm_page):
    page = gm_page
    NPCVillageConfigFactory(world="testworld", village__name="Testford")
    with world_down("demo"):
        page.goto(f"{page.base_url}/worlds/")
        assert "cannot be reached" in page.locator(".banner.error").inner_text()
        page.goto(f"{page.base_url}/worlds/demo/")
        assert "This world's database is unavailable" in page.locator(".banner.error").inner_text()
        page.screenshot(path="/tmp/npcadmin-worlds-down.png", full_page=True)
        page.get_by_role("link", name="testworld").last.click()
        page.wait_for_url("**/worlds/testworld/")
        assert page.get_by_role("link", name="Testford").is_visible()
