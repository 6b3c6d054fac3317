"""Contract: foreign keys with the seed's ON DELETE, checked at the statement as the seed's are."""

import pytest
from django.db import connection

from tests.npcs.contract import FOREIGN_KEYS

pytestmark = pytest.mark.django_db

FK_VIOLATION = "23503"
CASCADED = ("npc_world_state", "npc_relationships", "npc_memory", "npc_decisions", "npc_battle_history",
            "npc_trade_history")


def _count(engine, table: str, npc_id: int) -> int:
    return engine.sql(f"SELECT count(*) AS n FROM {table} WHERE npc_id = %s", [npc_id])[0]["n"]


def test_deleting_an_npc_by_sql_cascades_to_its_state_relationships_memories_decisions_battles_trades(engine):
    for table in CASCADED:
        engine.insert(table)
        engine.insert(table) if table != "npc_world_state" else engine.insert(table, world_id="demo")
    other = engine.insert("npcs")["id"]
    engine.insert("npc_decisions", npc_id=other)

    engine.sql("DELETE FROM npcs WHERE id = %s", [engine.npc_id])

    assert {table: _count(engine, table, engine.npc_id) for table in CASCADED} == dict.fromkeys(CASCADED, 0)
    assert _count(engine, "npc_decisions", other) == 1


@pytest.mark.parametrize(("table", "column"), [("npc_alliances", "npc_leader_id"), ("npc_messages", "from_npc_id")])
def test_deleting_an_npc_that_leads_an_alliance_or_sent_messages_is_refused_at_once(engine, table, column):
    """Flaw 5: the seed gives these keys no ON DELETE (NO ACTION): the DELETE statement itself fails."""
    engine.insert(table, **{column: engine.npc_id})
    refusal = engine.refused(engine.sql, "DELETE FROM npcs WHERE id = %s", [engine.npc_id])
    assert refusal.sqlstate == FK_VIOLATION
    assert refusal.constraint.startswith(f"{table}_{column}")


def test_handing_over_leadership_then_deleting_is_accepted(engine):
    alliance = engine.insert("npc_alliances", npc_leader_id=engine.npc_id)
    engine.update("npc_alliances", alliance["id"], npc_leader_id=None)
    engine.sql("DELETE FROM npcs WHERE id = %s", [engine.npc_id])
    assert engine.sql("SELECT npc_leader_id FROM npc_alliances WHERE id = %s", [alliance["id"]]) == [
        {"npc_leader_id": None}]


def test_deleting_a_message_that_has_replies_is_refused(engine):
    original = engine.insert("npc_messages")
    engine.insert("npc_messages", reply_message_id=original["id"])
    refusal = engine.refused(engine.sql, "DELETE FROM npc_messages WHERE id = %s", [original["id"]])
    assert refusal.sqlstate == FK_VIOLATION


@pytest.mark.parametrize(("table", "column", "target", "on_delete"), FOREIGN_KEYS,
                         ids=[f"{t}.{c}" for t, c, _, _ in FOREIGN_KEYS])
def test_a_row_pointing_at_a_missing_row_is_refused_at_the_statement(engine, table, column, target, on_delete):
    refusal = engine.refused(engine.insert, table, **{column: 2_000_000_000})
    assert refusal.sqlstate == FK_VIOLATION


@pytest.mark.parametrize(("table", "column", "target", "on_delete"), FOREIGN_KEYS,
                         ids=[f"{t}.{c}" for t, c, _, _ in FOREIGN_KEYS])
def test_foreign_key_definition(table, column, target, on_delete):
    """ON DELETE as in the seed; NOT DEFERRABLE as in the seed (migration 0005 undoes Django's deferral)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT confrelid::regclass::text, confdeltype, condeferrable,
                   (SELECT array_agg(attname) FROM pg_attribute WHERE attrelid = conrelid AND attnum = ANY(conkey))
            FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' AND conparentid = 0
            """,
            [table],
        )
        keys = {row[3][0]: row[:3] for row in cursor.fetchall()}
    assert keys[column] == (target, on_delete, False)


def test_no_foreign_key_beyond_the_contract():
    """Flaw 6: nothing references the world databases (villages, players) from here."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conrelid::regclass::text FROM pg_constraint
            WHERE contype = 'f' AND conparentid = 0 AND confrelid IN ('npcs'::regclass, 'npc_messages'::regclass)
            """
        )
        # Besides the seed's tables, only NPC Admin's own history table points at npcs.
        ours = ["npc_template_history"]
        assert sorted(row[0] for row in cursor.fetchall()) == sorted([t for t, *_ in FOREIGN_KEYS] + ours)
