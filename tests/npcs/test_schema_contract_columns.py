"""Contract: every table of the global schema has the seed's columns, in order, with the seed's types."""

import pytest
from django.db import connection

from tests.npcs.contract import COLUMNS, PRIMARY_KEYS, TABLES

pytestmark = pytest.mark.django_db


def _columns(table: str) -> list[tuple[str, str, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
            WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """,
            [table],
        )
        return cursor.fetchall()


@pytest.mark.parametrize("table", TABLES)
def test_columns_names_order_types_and_nullability_match_the_seed(table):
    # Column order matters to an engine that COPYs or INSERTs without a column list.
    assert _columns(table) == COLUMNS[table]


def test_every_timestamp_has_a_time_zone():
    """Flaw 3: no `timestamp without time zone` anywhere in the global schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_name = ANY(%s) AND data_type = 'timestamp without time zone'",
            [list(TABLES)],
        )
        assert cursor.fetchall() == []


@pytest.mark.parametrize("column", ["related_player_ids", "related_village_ids"])
def test_memory_id_arrays_are_integer_arrays(column):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type, udt_name FROM information_schema.columns "
            "WHERE table_name = 'npc_memory' AND column_name = %s",
            [column],
        )
        assert cursor.fetchone() == ("ARRAY", "_int4")


def test_json_columns_are_jsonb():
    jsonb = {(t, c) for t, cols in COLUMNS.items() for c, type_, _ in cols if type_ == "jsonb"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_name = ANY(%s) AND data_type IN ('json', 'jsonb')",
            [list(TABLES)],
        )
        found = cursor.fetchall()
    assert {(t, c) for t, c, _ in found} == jsonb
    assert {data_type for _, _, data_type in found} == {"jsonb"}
    assert len(jsonb) == 18  # the seed's JSONB columns, counted by hand


@pytest.mark.parametrize("table", TABLES)
def test_primary_key(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
            [table],
        )
        assert cursor.fetchall() == [(f"PRIMARY KEY ({PRIMARY_KEYS[table]})",)]


@pytest.mark.parametrize("table", TABLES)
def test_id_is_generated_by_a_sequence(table):
    """SERIAL/BIGSERIAL: an INSERT without `id` numbers the row; the sequence is `<table>_id_seq`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        assert cursor.fetchone()[0] == f"public.{table}_id_seq"
