"""Contract: every index of the seed exists with its columns, order, DESC and partial predicate."""

import re

import pytest
from django.db import connection

from tests.npcs.contract import INDEXES, PRIMARY_KEYS, TABLES, UNIQUES

pytestmark = pytest.mark.django_db

_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX (\w+) ON (?:ONLY )?public\.(\w+) USING btree \((.+?)\)(?: WHERE (.+))?$")


def _indexes() -> dict[str, tuple[str, str, str | None]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s)",
                       [list(TABLES)])
        found = {}
        for (definition,) in cursor.fetchall():
            match = _DEF.match(definition)
            assert match, definition
            found[match[2]] = (match[3], match[4], match[5])
        return found


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_seed_index(name):
    assert _indexes().get(name) == INDEXES[name]


# Added for the console's changelists at 10M rows (npcs/migrations/0008_bench_indexes.py, docs/schema.md).
ADDED_INDEXES = {
    "npc_decisions_npc_created_idx": ("npc_decisions", "npc_id, created_at DESC, id DESC", None),
    "npc_memory_npc_occurred_idx": ("npc_memory", "npc_id, occurred_at DESC, id DESC", None),
}


def test_no_index_beyond_the_contract():
    """Only the seed's indexes, those backing its keys and UNIQUEs, and the documented additions
    (each costs the engine's writes)."""
    backing = {f"{table}_pkey" for table in PRIMARY_KEYS} | {name for _, name, _ in UNIQUES}
    assert set(_indexes()) == set(INDEXES) | backing | set(ADDED_INDEXES)


@pytest.mark.parametrize("name", sorted(ADDED_INDEXES))
def test_added_index(name):
    assert _indexes().get(name) == ADDED_INDEXES[name]


def test_every_memory_partition_carries_the_added_memory_index():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname,
                   EXISTS (SELECT 1 FROM pg_inherits ii JOIN pg_index x ON x.indexrelid = ii.inhrelid
                           WHERE ii.inhparent = 'npc_memory_npc_occurred_idx'::regclass AND x.indrelid = c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'npc_memory'::regclass
            """
        )
        rows = cursor.fetchall()
    assert rows and all(has_index for _, has_index in rows), rows


@pytest.mark.parametrize("name", sorted(n for n, (table, *_) in INDEXES.items() if table == "npc_memory"))
def test_every_memory_partition_carries_the_memory_indexes(name):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname,
                   EXISTS (SELECT 1 FROM pg_inherits ii JOIN pg_index x ON x.indexrelid = ii.inhrelid
                           WHERE ii.inhparent = %s::regclass AND x.indrelid = c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'npc_memory'::regclass
            """,
            [name],
        )
        rows = cursor.fetchall()
    assert rows and all(has_index for _, has_index in rows), rows
