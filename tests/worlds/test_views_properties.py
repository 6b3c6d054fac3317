"""Property: junk in a village's configuration form or the world pages' filters never crashes a
page, and a refused save leaves the configuration as it was."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given

from tests.factories.worlds import NPCVillageConfigFactory
from tests.junk import FORM_SETTINGS, apply, assert_no_500_and_no_partial_write, junk_for
from worlds.models import NPCVillageConfig
from worlds.services import version_token

pytestmark = pytest.mark.django_db(databases="__all__")

CONFIG_FIELDS = ("edit_token", "village_type", "build_template_name", "current_build_phase", "resource_priority_wood",
                 "resource_priority_clay", "resource_priority_iron", "resource_priority_wheat", "warehouse_reserve",
                 "auto_build_enabled", "troop_training_enabled", "auto_raid_enabled", "build_queue_strategy",
                 "training_queue_strategy")


def _form_data(config) -> dict:
    return {
        "edit_token": version_token(config), "village_type": "military", "build_template_name": "offensive_rush",
        "current_build_phase": "mid", "resource_priority_wood": "3", "resource_priority_clay": "4",
        "resource_priority_iron": "1", "resource_priority_wheat": "2", "warehouse_reserve": "7000",
        "auto_build_enabled": "on", "troop_training_enabled": "on", "auto_raid_enabled": "on",
        "build_queue_strategy": '{"max_queue": 3}', "training_queue_strategy": '{"units": ["axeman"]}',
    }


@pytest.fixture
def config():
    return NPCVillageConfigFactory(world="demo")


@FORM_SETTINGS
@given(junk=junk_for(CONFIG_FIELDS))
def test_village_config_form(admin_client, config, junk):
    url = reverse("worlds:village_config", args=["demo", config.village_id])
    assert_no_500_and_no_partial_write(
        lambda: admin_client.post(url, apply(_form_data(config), junk)),
        lambda: NPCVillageConfig.objects.using("world_demo").filter(pk=config.pk).values().first(),
        using=("default", "world_demo"))


@FORM_SETTINGS
@given(params=junk_for(("npc", "village_type", "q", "page", "cursor", "building", "village", "completed_from",
                        "completed_to", "before", "after")))
def test_world_filters(admin_client, config, params):
    query = {k: v for k, v in params.items() if v is not None}
    for url in (reverse("worlds:village_list", args=["demo"]), reverse("worlds:build_history", args=["demo"])):
        assert admin_client.get(url, query).status_code in (200, 400, 404), url


def test_strategy_json_that_postgresql_cannot_store_is_a_field_error(admin_client, config):
    url = reverse("worlds:village_config", args=["demo", config.village_id])
    before = NPCVillageConfig.objects.using("world_demo").filter(pk=config.pk).values().first()
    for box in ('{"note": "\\u0000"}', '{"note": "\\ud800"}'):
        response = admin_client.post(url, {**_form_data(config), "build_queue_strategy": box})
        assert response.status_code == 200 and "build_queue_strategy" in response.context["form"].errors
    assert NPCVillageConfig.objects.using("world_demo").filter(pk=config.pk).values().first() == before


def test_a_page_number_past_bigint_is_clamped_not_a_500(admin_client):
    from worlds.models import NPCBuildQueueHistory
    from worlds.pagination import MAX_PAGE, page_without_count

    page = page_without_count(NPCBuildQueueHistory.objects.in_world("demo").order_by("id"), "1386192601061715200", 50)
    assert page.number == MAX_PAGE and page.rows == []
