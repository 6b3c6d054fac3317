"""The world extensions' contract as the engine meets it on its own connection: column order, keys, versions.

The engine here is a plain psycopg connection to the world database (no ORM, no Django
transaction), so what a statement or a COMMIT does is what the game server's code would see.
"""

from __future__ import annotations

import datetime

import psycopg
import pytest
from django.db import connections
from psycopg import errors
from psycopg.types.json import Jsonb

from npcadmin.routers import world_db

pytestmark = pytest.mark.django_db(databases="__all__")

TSTZ = "timestamp with time zone"  # docs/schema.md, flaw 3
# Restated from the seed (../shared/spec/seed-schema.md, "World Database Extensions"), in its order.
SEED_COLUMNS = {
    "npc_village_config": [
        "village_id", "npc_id", "village_type", "build_template_name", "current_build_phase",
        "auto_build_enabled", "next_scheduled_build", "build_queue_strategy", "resource_priority",
        "warehouse_reserve", "troop_training_enabled", "training_queue_strategy", "auto_raid_enabled",
        "created_at", "updated_at",
    ],
    "npc_build_queue_history": [
        "id", "village_id", "npc_id", "building_name", "from_level", "to_level", "queued_at", "started_at",
        "completed_at", "cost_wood", "cost_clay", "cost_iron", "cost_wheat", "wait_time_seconds",
        "build_time_seconds", "priority_score", "decision_reason", "created_at",
    ],
}
WORLDS = ("testworld", "demo")


@pytest.fixture
def engine_world():
    """`with engine_world("demo") as conn:` a separate, non-autocommit connection; rolled back at the end."""
    opened = []

    def connect(world: str) -> psycopg.Connection:
        conn = psycopg.connect(**connections[world_db(world)].get_connection_params())
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.rollback()
        conn.close()


def _village(cur, x: int) -> int:
    cur.execute("INSERT INTO villages (player_id, name, x, y) VALUES (7, 'engine', %s, %s) RETURNING id", [x, x])
    return cur.fetchone()[0]


def _now():
    return datetime.datetime.now(datetime.UTC)


@pytest.mark.parametrize("world", WORLDS)
@pytest.mark.parametrize("table", sorted(SEED_COLUMNS))
def test_columns_are_in_the_seeds_order(world, table, world_sql):
    rows = world_sql(world, "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                            "AND table_schema = current_schema() ORDER BY ordinal_position", [table])
    assert [name for (name,) in rows] == SEED_COLUMNS[table]


@pytest.mark.parametrize("world", WORLDS)
def test_positional_inserts_in_the_seeds_order(world, engine_world):
    """`INSERT ... VALUES (...)` without a column list, values in the seed's order, as an engine may write."""
    conn = engine_world(world)
    with conn.cursor() as cur:
        village_id = _village(cur, 501)
        cur.execute(
            "INSERT INTO npc_village_config VALUES (%s, 42, 'military', 'rush', 'early', true, NULL, %s, %s, "
            "4000, true, NULL, false, DEFAULT, DEFAULT) RETURNING village_id, npc_id, warehouse_reserve",
            [village_id, Jsonb({"next": "barracks"}), Jsonb({"wood": 1, "clay": 2, "iron": 3, "wheat": 4})])
        assert cur.fetchone() == (village_id, 42, 4000)
        cur.execute(
            "INSERT INTO npc_build_queue_history VALUES (DEFAULT, %s, 42, 'barracks', 0, 1, %s, NULL, NULL, "
            "100, 80, 50, 20, 30, 600, 0.8, 'army first', DEFAULT) "
            "RETURNING village_id, npc_id, building_name, cost_wheat, decision_reason, created_at IS NOT NULL",
            [village_id, _now()])
        assert cur.fetchone() == (village_id, 42, "barracks", 20, "army first", True)


@pytest.mark.parametrize("world", WORLDS)
def test_a_bad_village_id_fails_at_the_statement(world, engine_world):
    """NOT DEFERRABLE: the INSERT itself raises 23503, before any COMMIT (no savepoint involved)."""
    conn = engine_world(world)
    with conn.cursor() as cur:
        good = _village(cur, 502)
        cur.execute("INSERT INTO npc_build_queue_history (village_id, npc_id, building_name, from_level, to_level, "
                    "queued_at) VALUES (%s, 42, 'farm', 0, 1, now())", [good])
        with pytest.raises(errors.ForeignKeyViolation, match="npc_build_queue_history"):
            cur.execute("INSERT INTO npc_build_queue_history (village_id, npc_id, building_name, from_level, "
                        "to_level, queued_at) VALUES (-1, 42, 'farm', 0, 1, now())")
    conn.rollback()
    with conn.cursor() as cur, pytest.raises(errors.ForeignKeyViolation, match="npc_village_config"):
        cur.execute("INSERT INTO npc_village_config (village_id, npc_id) VALUES (-1, 42)")


@pytest.mark.parametrize("world", WORLDS)
def test_the_good_rows_of_the_transaction_survive_a_bad_village_id(world, engine_world, world_sql):
    """The engine can isolate the refused statement (a savepoint) and COMMIT the rest; a deferred key could not."""
    conn = engine_world(world)
    with conn.cursor() as cur:
        good = _village(cur, 503)
        cur.execute("INSERT INTO npc_build_queue_history (village_id, npc_id, building_name, from_level, to_level, "
                    "queued_at) VALUES (%s, 4242, 'farm', 0, 1, now())", [good])
        cur.execute("SAVEPOINT one_build")
        with pytest.raises(errors.ForeignKeyViolation):
            cur.execute("INSERT INTO npc_build_queue_history (village_id, npc_id, building_name, from_level, "
                        "to_level, queued_at) VALUES (-1, 4242, 'farm', 0, 1, now())")
        cur.execute("ROLLBACK TO SAVEPOINT one_build")
    conn.commit()  # raised nothing: no check was left for COMMIT
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM npc_build_queue_history WHERE npc_id = 4242")
            assert cur.fetchone()[0] == 1
    finally:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM villages WHERE id = %s", [good])  # cascades to the build
        conn.commit()


@pytest.mark.parametrize("world", WORLDS)
def test_every_key_to_villages_is_not_deferrable(world, world_sql):
    keys = world_sql(world, "SELECT conrelid::regclass::text, condeferrable, confdeltype FROM pg_constraint "
                            "WHERE contype = 'f' AND confrelid = 'villages'::regclass ORDER BY 1")
    assert keys == [("npc_build_queue_history", False, "c"), ("npc_village_config", False, "c")]


@pytest.mark.parametrize("world", WORLDS)
def test_the_rebuilt_history_keeps_its_identity_indexes_and_defaults(world, world_sql):
    assert world_sql(world, "SELECT pg_get_serial_sequence('npc_build_queue_history', 'id')") == [
        ("public.npc_build_queue_history_id_seq",)]
    indexes = {name for (name,) in world_sql(world, "SELECT indexname FROM pg_indexes "
                                                    "WHERE tablename = 'npc_build_queue_history'")}
    assert indexes == {"npc_build_queue_history_pkey", "idx_build_queue_village", "idx_build_queue_npc",
                       "idx_build_queue_completed", "idx_build_queue_village_recent"}
    columns = world_sql(world, "SELECT column_name, data_type, is_nullable, column_default IS NOT NULL, is_identity "
                               "FROM information_schema.columns WHERE table_name = 'npc_build_queue_history' "
                               "AND column_name IN ('id', 'village_id', 'npc_id', 'queued_at', 'created_at') "
                               "ORDER BY ordinal_position")
    assert columns == [
        ("id", "bigint", "NO", False, "YES"),
        ("village_id", "integer", "YES", False, "NO"),
        ("npc_id", "integer", "NO", False, "NO"),
        ("queued_at", TSTZ, "NO", False, "NO"),
        ("created_at", TSTZ, "NO", True, "NO"),
    ]


@pytest.mark.parametrize("world", WORLDS)
def test_each_world_database_records_its_versions(world, world_sql):
    rows = world_sql(world, "SELECT version, rollback_script FROM schema_versions ORDER BY version")
    assert rows == [("1.0.0", "manage.py migrate worlds zero --database world_<id>"),
                    ("1.0.1", "manage.py migrate worlds 0002_schema_versions --database world_<id>")]
    (constraint,) = world_sql(world, "SELECT conname FROM pg_constraint WHERE conrelid = 'schema_versions'::regclass "
                                     "AND contype = 'u'")
    assert constraint == ("schema_versions_version_key",)


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_the_rebuild_keeps_rows_ids_and_the_sequence_both_ways(world_sql):
    """0003 rebuilds npc_build_queue_history: back to Django's old order and forward again, nothing is lost."""
    from django.core.management import call_command

    (village,) = world_sql("testworld", "INSERT INTO villages (player_id, name, x, y) VALUES (1, 'v', 9, 9) "
                                        "RETURNING id")[0]
    world_sql("testworld", "INSERT INTO npc_build_queue_history (id, village_id, npc_id, building_name, from_level, "
                           "to_level, queued_at, decision_reason) VALUES (1000, %s, 5, 'farm', 1, 2, now(), 'é'), "
                           "(1001, NULL, 6, 'mill', 0, 1, now(), NULL)", [village])
    world_sql("testworld", "SELECT nextval(pg_get_serial_sequence('npc_build_queue_history', 'id')) "
                           "FROM generate_series(1, 1005)")  # the sequence has moved past the ids
    before = world_sql("testworld", "SELECT * FROM npc_build_queue_history ORDER BY id")
    call_command("migrate", "worlds", "0002_schema_versions", database="world_testworld", verbosity=0)
    try:
        (last,) = world_sql("testworld", "SELECT column_name FROM information_schema.columns WHERE table_name = "
                                         "'npc_build_queue_history' ORDER BY ordinal_position DESC LIMIT 1")[0]
        assert last == "village_id"
        assert world_sql("testworld", "SELECT condeferrable FROM pg_constraint WHERE contype = 'f' "
                                      "AND conrelid = 'npc_build_queue_history'::regclass") == [(True,)]
    finally:
        call_command("migrate", "worlds", database="world_testworld", verbosity=0)
    assert world_sql("testworld", "SELECT * FROM npc_build_queue_history ORDER BY id") == before
    (new_id,) = world_sql("testworld", "INSERT INTO npc_build_queue_history (npc_id, building_name, from_level, "
                                       "to_level, queued_at) VALUES (7, 'x', 0, 1, now()) RETURNING id")[0]
    assert new_id > 1005
    world_sql("testworld", "DELETE FROM villages WHERE id = %s", [village])
    assert world_sql("testworld", "SELECT count(*) FROM npc_build_queue_history WHERE npc_id = 5") == [(0,)]
