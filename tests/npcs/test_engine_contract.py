"""What docs/schema.md ("For engine authors") promises a plain psycopg client, checked on a session of its own."""

from __future__ import annotations

import datetime

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session():
    # Only where to connect: Django's params also carry its own adapters (a loader pinned to UTC).
    params = connection.get_connection_params()
    conn = psycopg.connect(**{k: params[k] for k in ("host", "port", "dbname", "user", "password") if k in params},
                           autocommit=True)
    npc = conn.execute("INSERT INTO npcs (name, tribe, personality, behavior_template) VALUES "
                       "('engine-tz', 'Teutons', 'balanced', '{}') RETURNING id").fetchone()[0]
    yield conn, npc
    conn.execute("DELETE FROM npcs WHERE id = %s", [npc])
    conn.close()


def _decision(conn, npc: int, created_at) -> datetime.datetime:
    return conn.execute(
        "INSERT INTO npc_decisions (npc_id, world_id, decision_type, situation_summary, final_decision, created_at) "
        "VALUES (%s, 'testworld', 'economic', 'tz', '{}', %s) RETURNING created_at", [npc, created_at]).fetchone()[0]


def test_timestamps_come_back_aware_in_the_sessions_time_zone(session):
    conn, npc = session
    conn.execute("SET TimeZone = 'UTC'")
    stored = _decision(conn, npc, "2026-11-28T10:30:00Z")
    assert stored.tzinfo is not None and stored.utcoffset() == datetime.timedelta(0)
    conn.execute("SET TimeZone = 'America/New_York'")
    (again,) = conn.execute("SELECT created_at FROM npc_decisions WHERE npc_id = %s", [npc]).fetchone()
    assert again == stored  # the same instant...
    assert again.utcoffset() == datetime.timedelta(hours=-5) and again.hour == 5  # ...in the session's zone


def test_a_naive_value_is_read_in_the_sessions_time_zone(session):
    conn, npc = session
    conn.execute("SET TimeZone = 'America/New_York'")
    stored = _decision(conn, npc, "2026-11-28 10:30:00")  # no offset
    assert stored.astimezone(datetime.UTC) == datetime.datetime(2026, 11, 28, 15, 30, tzinfo=datetime.UTC)
    conn.execute("SET TimeZone = 'UTC'")
    stored = _decision(conn, npc, "2026-11-28 10:30:00")
    assert stored == datetime.datetime(2026, 11, 28, 10, 30, tzinfo=datetime.UTC)


def test_a_positional_insert_in_the_seeds_order_works_on_the_global_tables(session):
    conn, npc = session
    (row,) = conn.execute(
        "INSERT INTO npc_trade_history VALUES (DEFAULT, 'testworld', %s, 7, 'offer_created', 'wood', 100, 'clay', "
        "80, 0.8, 0.75, 0.05, 4242, 0.9, 'completed', now(), DEFAULT) "
        "RETURNING npc_id, trade_id, partner_id, trade_status, created_at IS NOT NULL", [npc]).fetchall()
    assert row == (npc, 7, 4242, "completed", True)
