"""Contract: a plain engine INSERT of only the required columns gets every seed DEFAULT from PostgreSQL."""

import uuid

import pytest

from tests.npcs.contract import COLUMNS, DEFAULTS, NOW, TABLES, UUID

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("table", TABLES)
def test_minimal_insert_gets_every_seed_default(engine, table):
    sent = engine.required(table)
    row = engine.insert(table, **sent)
    clock = engine.sql("SELECT now() AS began, clock_timestamp() AS after")[0]

    for column, _type, _not_null in COLUMNS[table]:
        value = row[column]
        if column == "id":
            assert isinstance(value, int) and value > 0
        elif column in sent:
            assert value == sent[column], column
        elif column not in DEFAULTS[table]:
            assert value is None, f"{table}.{column} has no seed DEFAULT but got {value!r}"
        elif DEFAULTS[table][column] is NOW:
            # DEFAULT NOW(): a timestamp of this transaction, not of the Python process.
            assert clock["began"] <= value <= clock["after"], column
        elif DEFAULTS[table][column] is UUID:
            assert isinstance(value, uuid.UUID) and value.version == 4, column
        else:
            expected = DEFAULTS[table][column]
            assert value == expected and type(value) is type(expected), (column, value, expected)


def test_generated_uuids_differ(engine):
    assert engine.insert("npcs")["uuid"] != engine.insert("npcs")["uuid"]


def test_ids_number_the_rows_in_order(engine):
    first, second = engine.insert("npc_decisions")["id"], engine.insert("npc_decisions")["id"]
    assert second > first


@pytest.mark.parametrize("table", TABLES)
def test_every_default_of_the_contract_is_a_database_default(table):
    """The DEFAULT lives in PostgreSQL (not only in Django), for exactly the seed's columns."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_default IS NOT NULL AND column_name <> 'id'",
            [table],
        )
        with_default = {row[0] for row in cursor.fetchall()}
    assert with_default == set(DEFAULTS[table])
