"""The seed's world extensions as the NPC engine sees them: raw SQL defaults, CHECK, cascades, indexes."""

import pytest
from django.db import IntegrityError, connections, transaction

from tests.factories.worlds import NPCBuildQueueHistoryFactory, NPCVillageConfigFactory, VillageFactory

pytestmark = pytest.mark.django_db(databases="__all__")

WORLDS = ("testworld", "demo")


@pytest.mark.parametrize("world", WORLDS)
def test_config_defaults_as_the_engine_inserts(world, world_sql):
    village = VillageFactory(world=world)
    world_sql(world, "INSERT INTO npc_village_config (village_id, npc_id) VALUES (%s, 42)", [village.pk])
    row = world_sql(world, """
        SELECT auto_build_enabled, warehouse_reserve, troop_training_enabled, auto_raid_enabled,
               village_type, resource_priority, created_at IS NOT NULL, updated_at IS NOT NULL
        FROM npc_village_config WHERE village_id = %s""", [village.pk])[0]
    assert row == (True, 5000, True, False, None, None, True, True)


@pytest.mark.parametrize("world", WORLDS)
def test_build_history_and_village_defaults_as_the_engine_inserts(world, world_sql):
    (village_id,) = world_sql(world, "INSERT INTO villages (player_id, name, x, y) VALUES (7, 'raw', 300, 300) "
                                     "RETURNING id")[0]
    assert world_sql(world, "SELECT population, is_capital, wood, warehouse_capacity, buildings, troops "
                            "FROM villages WHERE id = %s", [village_id])[0] == (0, False, 0, 800, "{}", "{}")
    (build_id,) = world_sql(world, """
        INSERT INTO npc_build_queue_history (village_id, npc_id, building_name, from_level, to_level, queued_at)
        VALUES (%s, 42, 'barracks', 0, 1, now()) RETURNING id""", [village_id])[0]
    assert world_sql(world, "SELECT created_at IS NOT NULL, completed_at FROM npc_build_queue_history "
                            "WHERE id = %s", [build_id])[0] == (True, None)


def test_village_type_check_is_named_as_the_seed(world_sql):
    village = VillageFactory(world="demo")
    with pytest.raises(IntegrityError, match="npc_village_config_village_type_check"), \
            transaction.atomic(using="world_demo"):
        world_sql("demo", "INSERT INTO npc_village_config (village_id, npc_id, village_type) "
                          "VALUES (%s, 1, 'pirate')", [village.pk])
    world_sql("demo", "INSERT INTO npc_village_config (village_id, npc_id, village_type) VALUES (%s, 1, NULL)",
              [village.pk])  # the seed's CHECK lets NULL through


@pytest.mark.parametrize("world", WORLDS)
def test_deleting_a_village_cascades_in_the_database(world, world_sql):
    config = NPCVillageConfigFactory(world=world)
    NPCBuildQueueHistoryFactory.create_batch(3, world=world, config=config)
    other = NPCVillageConfigFactory(world=world)
    NPCBuildQueueHistoryFactory(world=world, config=other)
    world_sql(world, "DELETE FROM villages WHERE id = %s", [config.village_id])  # as the game server does
    assert world_sql(world, "SELECT count(*) FROM npc_village_config")[0][0] == 1
    assert world_sql(world, "SELECT count(*) FROM npc_build_queue_history")[0][0] == 1


def test_foreign_keys_cascade_on_delete_and_timestamps_have_time_zones(world_sql):
    rules = dict(world_sql("demo", """
        SELECT conrelid::regclass::text, confdeltype FROM pg_constraint
        WHERE contype = 'f' AND confrelid = 'villages'::regclass"""))
    assert rules == {"npc_village_config": "c", "npc_build_queue_history": "c"}
    types = set(world_sql("demo", """
        SELECT data_type FROM information_schema.columns
        WHERE table_name IN ('npc_village_config', 'npc_build_queue_history')
          AND column_name IN ('next_scheduled_build', 'created_at', 'updated_at', 'queued_at', 'started_at',
                              'completed_at')"""))
    assert types == {("timestamp with time zone",)}


@pytest.mark.parametrize("world", WORLDS)
def test_indexes_are_the_seeds(world, world_sql):
    indexes = dict(world_sql(world, """
        SELECT indexname, indexdef FROM pg_indexes
        WHERE tablename IN ('npc_village_config', 'npc_build_queue_history')"""))
    assert "(npc_id)" in indexes["idx_npc_village_npc"]
    assert "(village_type)" in indexes["idx_npc_village_type"]
    assert "(village_id)" in indexes["idx_build_queue_village"]
    assert "(npc_id)" in indexes["idx_build_queue_npc"]
    assert "(completed_at DESC)" in indexes["idx_build_queue_completed"]
    # ours, beyond the seed: the village list's latest builds per village
    assert "(village_id, completed_at DESC, id DESC)" in indexes["idx_build_queue_village_recent"]


def test_column_types_match_the_seed(world_sql):
    columns = dict(world_sql("demo", """
        SELECT table_name || '.' || column_name, data_type || coalesce('(' || character_maximum_length || ')', '')
        FROM information_schema.columns WHERE table_name IN ('npc_village_config', 'npc_build_queue_history')"""))
    assert columns["npc_village_config.village_id"] == "integer"
    assert columns["npc_village_config.npc_id"] == "integer"
    assert columns["npc_village_config.village_type"] == "character varying(50)"
    assert columns["npc_village_config.build_template_name"] == "character varying(100)"
    assert columns["npc_village_config.resource_priority"] == "jsonb"
    assert columns["npc_build_queue_history.id"] == "bigint"
    assert columns["npc_build_queue_history.building_name"] == "character varying(100)"
    assert columns["npc_build_queue_history.priority_score"] == "double precision"


def test_world_databases_are_separate_connections():
    assert connections["world_demo"].settings_dict["NAME"] != connections["world_testworld"].settings_dict["NAME"]
