"""Writes to a world: the configuration editor's service and the orphan clean-up."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories.worlds import NPCBuildQueueHistoryFactory, NPCVillageConfigFactory
from worlds.models import NPCBuildQueueHistory, NPCVillageConfig
from worlds.services import StaleVillageConfig, version_token, village_config_update, world_orphans_delete

pytestmark = pytest.mark.django_db(databases="__all__")


def test_update_writes_to_the_given_world_only():
    demo = NPCVillageConfigFactory(world="demo", warehouse_reserve=5000)
    twin = NPCVillageConfigFactory(world="testworld", warehouse_reserve=5000)
    config = village_config_update(world_id="demo", village_id=demo.pk,
                                   changes={"warehouse_reserve": 9000, "village_type": "military",
                                            "resource_priority": {"iron": 1, "wheat": 2, "wood": 3, "clay": 4}},
                                   seen_version=version_token(demo))
    assert config.warehouse_reserve == 9000 and config.updated_at > demo.updated_at
    stored = NPCVillageConfig.objects.in_world("demo").get(pk=demo.pk)
    assert (stored.village_type, stored.resource_priority["iron"]) == ("military", 1)
    assert NPCVillageConfig.objects.in_world("testworld").get(pk=twin.pk).warehouse_reserve == 5000


def test_invalid_values_are_refused_and_nothing_is_written():
    config = NPCVillageConfigFactory(world="demo")
    with pytest.raises(ValidationError) as error:
        village_config_update(world_id="demo", village_id=config.pk,
                              changes={"resource_priority": {"wood": 1, "clay": 1, "iron": 3, "wheat": 4},
                                       "build_queue_strategy": [1, 2], "warehouse_reserve": 1})
    assert set(error.value.message_dict) == {"resource_priority", "build_queue_strategy"}
    assert NPCVillageConfig.objects.in_world("demo").get(pk=config.pk).warehouse_reserve == 5000


def test_a_save_based_on_an_outdated_version_is_refused():
    config = NPCVillageConfigFactory(world="demo")
    seen = version_token(config)
    village_config_update(world_id="demo", village_id=config.pk, changes={"warehouse_reserve": 1000}, seen_version=seen)
    with pytest.raises(StaleVillageConfig) as stale:
        village_config_update(world_id="demo", village_id=config.pk, changes={"warehouse_reserve": 2000},
                              seen_version=seen)
    assert stale.value.current.warehouse_reserve == 1000


def test_only_editable_fields_can_change():
    config = NPCVillageConfigFactory(world="demo")
    with pytest.raises(ValueError, match="npc_id"):
        village_config_update(world_id="demo", village_id=config.pk, changes={"npc_id": 1})


def test_orphan_delete_spares_npcs_that_exist():
    alive = NPCVillageConfigFactory(world="demo")
    gone = NPCVillageConfigFactory(world="demo", npc_id=999_001)
    NPCBuildQueueHistoryFactory(world="demo", config=gone)
    NPCBuildQueueHistoryFactory(world="demo", config=alive)
    assert world_orphans_delete(world_id="demo", npc_ids=[999_001, alive.npc_id]) == (1, 1)
    assert list(NPCVillageConfig.objects.in_world("demo").values_list("npc_id", flat=True)) == [alive.npc_id]
    assert NPCBuildQueueHistory.objects.in_world("demo").get().npc_id == alive.npc_id
