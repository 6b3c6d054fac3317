"""World models reach only their world's database; global models only the global one."""

import pytest
from django.db import DatabaseError, connection, connections, router, transaction

from npcadmin.routers import WorldNotSelected, world_db
from npcs.models import NPC
from tests.factories.npcs import NPCFactory
from tests.factories.worlds import NPCBuildQueueHistoryFactory, NPCVillageConfigFactory, VillageFactory
from worlds.models import NPCBuildQueueHistory, NPCVillageConfig, Village

pytestmark = pytest.mark.django_db(databases="__all__")


def _table_exists(alias: str, table: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
        return cursor.fetchone()[0]


def test_a_village_is_written_to_its_world_only():
    village = VillageFactory(world="demo", name="Demo hamlet")
    assert village._state.db == "world_demo" and village.world_id == "demo"
    assert Village.objects.in_world("demo").filter(name="Demo hamlet").exists()
    assert not Village.objects.in_world("testworld").filter(name="Demo hamlet").exists()


def test_the_same_ids_live_independently_in_each_world():
    config_demo = NPCVillageConfigFactory(world="demo", build_template_name="demo plan")
    config_test = NPCVillageConfigFactory(world="testworld", build_template_name="test plan")
    assert NPCVillageConfig.objects.in_world("demo").get().build_template_name == "demo plan"
    assert NPCVillageConfig.objects.in_world("testworld").get().build_template_name == "test plan"
    assert config_demo.world_id == "demo" and config_test.world_id == "testworld"


def test_a_loaded_instance_saves_and_follows_relations_in_its_own_world():
    config = NPCVillageConfigFactory(world="demo")
    NPCBuildQueueHistoryFactory(world="demo", config=config)
    loaded = NPCVillageConfig.objects.in_world("demo").get(pk=config.pk)
    loaded.warehouse_reserve = 1234
    loaded.save()  # no world named: the instance remembers where it came from
    assert NPCVillageConfig.objects.in_world("demo").get(pk=config.pk).warehouse_reserve == 1234
    assert loaded.village._state.db == "world_demo"
    assert [b._state.db for b in loaded.village.build_history.all()] == ["world_demo"]


def test_a_world_model_without_a_world_is_refused_not_sent_to_default():
    with pytest.raises(WorldNotSelected, match=r"in_world"):
        list(Village.objects.all())
    with pytest.raises(WorldNotSelected):
        Village(player_id=1, name="Nowhere", x=0, y=0).save()
    with pytest.raises(WorldNotSelected):
        router.db_for_write(NPCBuildQueueHistory)


def test_world_tables_exist_only_in_world_databases_and_global_ones_only_in_default():
    for table in ("villages", "npc_village_config", "npc_build_queue_history"):
        assert not _table_exists("default", table)
        assert _table_exists("world_demo", table) and _table_exists("world_testworld", table)
    for table in ("npcs", "npc_world_state", "auth_user", "django_session", "django_content_type"):
        assert _table_exists("default", table)
        assert not _table_exists("world_demo", table) and not _table_exists("world_testworld", table)


def test_bypassing_the_router_cannot_land_rows_in_the_wrong_database():
    with pytest.raises(DatabaseError), transaction.atomic(using="default"):
        Village.objects.using("default").create(player_id=1, name="Stray", x=1, y=1)
    with pytest.raises(DatabaseError), transaction.atomic(using="world_demo"):
        NPC.objects.using("world_demo").create(name="Stray", tribe="Romans", personality="economic",
                                               behavior_template={"aggression": 0.1})


def test_global_models_are_routed_to_default():
    npc = NPCFactory()
    assert npc._state.db == "default"
    assert router.db_for_read(NPC) == "default" and router.db_for_write(NPC) == "default"


def test_rows_of_two_worlds_cannot_be_related():
    config = NPCVillageConfig(village=VillageFactory(world="demo"), npc_id=1)
    assert config.world_id == "demo"  # an unsaved row takes the world of the village it points at
    with pytest.raises(ValueError, match="router prevents this relation"):
        config.village = VillageFactory(world="testworld")
    with pytest.raises(ValueError, match="already belongs to world 'demo'"):
        config.place_in_world("testworld")


def test_migration_rules():
    assert router.allow_migrate("world_demo", "worlds", model_name="village")
    assert not router.allow_migrate("default", "worlds", model_name="village")
    for app in ("npcs", "auth", "contenttypes", "sessions", "admin", "analytics"):
        assert router.allow_migrate("default", app)
        assert not router.allow_migrate("world_testworld", app)


def test_unknown_world_is_refused():
    with pytest.raises(LookupError, match="unknown world 'atlantis'"):
        world_db("atlantis")
    with pytest.raises(LookupError):
        Village.objects.in_world("atlantis")


def test_default_connection_is_the_global_database():
    assert connection.alias == "default"
