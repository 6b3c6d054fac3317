"""Validation the database cannot do: resource ranks, JSON objects, and the NPC in another database."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories.npcs import NPCFactory
from tests.factories.worlds import NPCVillageConfigFactory, VillageFactory
from worlds.models import NPCBuildQueueHistory, NPCVillageConfig
from worlds.models.village_config import validate_json_object, validate_resource_priority

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.mark.parametrize("value", [None, {"wood": 1, "clay": 2, "iron": 3, "wheat": 4},
                                   {"wheat": 1, "iron": 2, "clay": 3, "wood": 4}])
def test_valid_resource_priorities(value):
    validate_resource_priority(value)


@pytest.mark.parametrize(("value", "code"), [
    ([1, 2, 3, 4], "not_object"),
    ({"wood": 1, "clay": 2, "iron": 3}, "resources"),
    ({"wood": 1, "clay": 2, "iron": 3, "wheat": 4, "gold": 5}, "resources"),
    ({"wood": 1, "clay": 1, "iron": 3, "wheat": 4}, "rank_distinct"),
    ({"wood": 0, "clay": 2, "iron": 3, "wheat": 4}, "rank_range"),
    ({"wood": 5, "clay": 2, "iron": 3, "wheat": 4}, "rank_range"),
    ({"wood": "1", "clay": 2, "iron": 3, "wheat": 4}, "rank_range"),
    ({"wood": True, "clay": 2, "iron": 3, "wheat": 4}, "rank_range"),
    ({"wood": 1.5, "clay": 2, "iron": 3, "wheat": 4}, "rank_range"),
])
def test_invalid_resource_priorities(value, code):
    with pytest.raises(ValidationError) as error:
        validate_resource_priority(value)
    assert error.value.code == code


@pytest.mark.parametrize("value", [[], "text", 3, ["a"]])
def test_queue_strategies_must_be_objects(value):
    with pytest.raises(ValidationError):
        validate_json_object(value)
    validate_json_object({"max_queue": 2})
    validate_json_object(None)


def test_npc_id_must_exist_in_the_global_database():
    village = VillageFactory(world="demo")
    config = NPCVillageConfig(village=village, npc_id=987654)
    with pytest.raises(ValidationError) as error:
        config.full_clean()
    assert "There is no NPC with id 987654" in str(error.value.message_dict["npc_id"])
    config.npc_id = NPCFactory().pk
    config.full_clean()


def test_build_history_checks_its_npc_too():
    build = NPCBuildQueueHistory(village=VillageFactory(world="testworld"), npc_id=987654, building_name="wall",
                                 from_level=1, to_level=2, queued_at="2026-01-01T00:00Z")
    with pytest.raises(ValidationError) as error:
        build.full_clean()
    assert set(error.value.message_dict) == {"npc_id"}


def test_village_type_check_is_validated_in_django_too():
    config = NPCVillageConfigFactory(world="demo")
    config.village_type = "pirate"
    with pytest.raises(ValidationError) as error:
        config.full_clean()
    assert "village_type" in error.value.message_dict
    config.village_type = None
    config.full_clean()


def test_save_refreshes_updated_at():
    config = NPCVillageConfigFactory(world="demo")
    before = NPCVillageConfig.objects.in_world("demo").get(pk=config.pk).updated_at
    loaded = NPCVillageConfig.objects.in_world("demo").get(pk=config.pk)
    loaded.save()
    assert NPCVillageConfig.objects.in_world("demo").get(pk=config.pk).updated_at > before


def test_unique_checks_run_in_the_instances_world():
    taken = NPCVillageConfigFactory(world="demo")
    duplicate = NPCVillageConfig(village=taken.village, npc_id=taken.npc_id)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "village" in error.value.message_dict
    VillageFactory(world="demo", x=50, y=50)
    with pytest.raises(ValidationError, match="Another village already stands on these coordinates"):
        VillageFactory.build(world="demo", x=50, y=50).full_clean()
    VillageFactory.build(world="testworld", x=50, y=50).full_clean()  # another world's map


def test_resources_by_priority():
    config = NPCVillageConfig(resource_priority={"clay": 2, "wheat": 1, "iron": 4, "wood": 3})
    assert config.resources_by_priority == ["wheat", "clay", "wood", "iron"]
    assert NPCVillageConfig(resource_priority={"clay": 1}).resources_by_priority == []
    assert NPCVillageConfig().resources_by_priority == []
