"""Contract: PostgreSQL itself refuses a row that breaks a CHECK, UNIQUE or NOT NULL of the seed."""

import pytest
from django.db import connection

from tests.npcs.contract import CHECK_BOUNDARIES, CHECK_VIOLATIONS, COLUMNS, DEFAULTS, TABLES, UNIQUES

pytestmark = pytest.mark.django_db

CHECK_VIOLATION, UNIQUE_VIOLATION, NOT_NULL_VIOLATION = "23514", "23505", "23502"


def _case_id(case) -> str:
    table, constraint, values = case
    return f"{constraint}-{'-'.join(f'{k}={v}' for k, v in values.items())}"


@pytest.mark.parametrize("case", CHECK_VIOLATIONS, ids=[_case_id(c) for c in CHECK_VIOLATIONS])
def test_insert_breaking_a_check_is_refused(engine, case):
    table, constraint, values = case
    refusal = engine.refused(engine.insert, table, **values)
    assert (refusal.sqlstate, refusal.constraint) == (CHECK_VIOLATION, constraint)


@pytest.mark.parametrize("case", CHECK_VIOLATIONS, ids=[_case_id(c) for c in CHECK_VIOLATIONS])
def test_update_breaking_a_check_is_refused(engine, case):
    table, constraint, values = case
    row = engine.insert(table)
    refusal = engine.refused(engine.update, table, row["id"], **values)
    assert (refusal.sqlstate, refusal.constraint) == (CHECK_VIOLATION, constraint)


@pytest.mark.parametrize(("table", "values"), CHECK_BOUNDARIES)
def test_values_on_the_edge_of_a_range_are_accepted(engine, table, values):
    row = engine.insert(table, **values)
    assert {k: row[k] for k in values} == values


def test_behaviour_weight_update_by_jsonb_set_is_refused(engine):
    """The engine nudges one weight in place (`behavior_adjustment`); out of range is refused."""
    npc = engine.insert("npcs")
    refusal = engine.refused(
        engine.sql, "UPDATE npcs SET behavior_template = jsonb_set(behavior_template, '{patience}', '1.2') "
                    "WHERE id = %s", [npc["id"]])
    assert (refusal.sqlstate, refusal.constraint) == (CHECK_VIOLATION, "npcs_behavior_weights_range")


@pytest.mark.parametrize("table", TABLES)
def test_the_check_constraints_are_exactly_the_contract(table):
    """No CHECK missing, none extra (an extra one would refuse rows the engine may write)."""
    expected = {constraint for t, constraint, _ in CHECK_VIOLATIONS if t == table}
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c'", [table])
        assert {row[0] for row in cursor.fetchall()} == expected


@pytest.mark.parametrize(("table", "constraint", "columns"), UNIQUES, ids=[u[1] for u in UNIQUES])
def test_duplicate_is_refused(engine, table, constraint, columns):
    first = engine.insert(table)
    clash = {column: first[column] for column in columns}
    if "npc_id" in first and "npc_id" not in columns:
        clash["npc_id"] = engine.insert("npcs")["id"]  # so that only the constraint under test can clash
    refusal = engine.refused(engine.insert, table, **clash)
    assert (refusal.sqlstate, refusal.constraint) == (UNIQUE_VIOLATION, constraint)


@pytest.mark.parametrize("table", TABLES)
def test_the_unique_constraints_are_exactly_the_contract(table):
    expected = {f"UNIQUE ({', '.join(columns)})" for t, _, columns in UNIQUES if t == table}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        assert {row[0] for row in cursor.fetchall()} == expected


def test_engine_upserts_world_state_on_npc_and_world(engine):
    """Flaw 1: the seed's composite key is a UNIQUE here, so ON CONFLICT (npc_id, world_id) still works."""
    first = engine.insert("npc_world_state", rank=9)
    engine.sql(
        "INSERT INTO npc_world_state (npc_id, world_id, player_id, rank) VALUES (%s, %s, %s, 3) "
        "ON CONFLICT (npc_id, world_id) DO UPDATE SET rank = EXCLUDED.rank",
        [first["npc_id"], first["world_id"], first["player_id"]],
    )
    assert engine.sql("SELECT id, rank FROM npc_world_state WHERE npc_id = %s", [first["npc_id"]]) == [
        {"id": first["id"], "rank": 3}]


def test_relationship_unique_on_a_different_world_is_accepted(engine):
    first = engine.insert("npc_relationships")
    other = engine.insert("npc_relationships", target_player_id=first["target_player_id"], world_id="demo")
    assert other["id"] != first["id"]


NOT_NULL = [(table, column) for table in TABLES for column, _, not_null in COLUMNS[table]
            if not_null and column != "id"]


@pytest.mark.parametrize(("table", "column"), NOT_NULL, ids=[f"{t}.{c}" for t, c in NOT_NULL])
def test_explicit_null_is_refused(engine, table, column):
    refusal = engine.refused(engine.insert, table, **{column: None})
    assert (refusal.sqlstate, refusal.column) == (NOT_NULL_VIOLATION, column)


REQUIRED = [(table, column) for table, column in NOT_NULL if column not in DEFAULTS[table]]


@pytest.mark.parametrize(("table", "column"), REQUIRED, ids=[f"{t}.{c}" for t, c in REQUIRED])
def test_omitting_a_required_column_is_refused(engine, table, column):
    values = engine.required(table)
    del values[column]
    columns = ", ".join(values)
    statement = (f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(values))})" if values
                 else f"INSERT INTO {table} DEFAULT VALUES")
    refusal = engine.refused(engine.sql, statement, engine.params(table, values))
    assert (refusal.sqlstate, refusal.column) == (NOT_NULL_VIOLATION, column)
