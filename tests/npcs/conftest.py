"""Fixtures of the npcs tests: `engine` writes the global database the way the NPC engine does (plain SQL,
no ORM); `count_queries` captures what a console call runs."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from psycopg import errors
from psycopg.types.json import Jsonb

from tests.npcs.contract import COLUMNS

JSONB_COLUMNS = {(table, name) for table, cols in COLUMNS.items() for name, type_, _ in cols if type_ == "jsonb"}


@dataclass
class Refusal:
    """What PostgreSQL said when it refused a statement."""

    sqlstate: str
    constraint: str | None
    column: str | None
    message: str


class Engine:
    """Plain INSERT/UPDATE/DELETE statements with only the columns the engine would send."""

    def __init__(self):
        self._n = itertools.count(1)
        self._npc_id: int | None = None

    def sql(self, statement: str, params=None) -> list[dict]:
        with connection.cursor() as cursor:
            cursor.execute(statement, params or [])
            if cursor.description is None:
                return []
            names = [col.name for col in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @property
    def npc_id(self) -> int:
        """An NPC the engine created, for the rows that belong to one."""
        if self._npc_id is None:
            self._npc_id = self.insert("npcs")["id"]
        return self._npc_id

    def required(self, table: str) -> dict[str, object]:
        """The columns an engine INSERT must give (NOT NULL without DEFAULT), plus the NPC it is about."""
        n = next(self._n)
        return {
            "npcs": lambda: {"name": f"engine-npc-{n}", "tribe": "Romans", "personality": "aggressive",
                             "behavior_template": {"aggression": 0.9, "economy": 0.3}},
            "npc_world_state": lambda: {"npc_id": self.npc_id, "world_id": "testworld", "player_id": 70000 + n},
            "npc_relationships": lambda: {"npc_id": self.npc_id, "target_player_id": 80000 + n,
                                          "world_id": "testworld"},
            "npc_memory": lambda: {"npc_id": self.npc_id, "world_id": "testworld", "memory_type": "battle",
                                   "event_data": {"battle_id": n}, "occurred_at": _now()},
            "npc_decisions": lambda: {"npc_id": self.npc_id, "world_id": "testworld", "decision_type": "economic",
                                      "situation_summary": "clay is short", "final_decision": {"build": "clay_pit"}},
            "npc_alliances": lambda: {"world_id": "testworld", "alliance_id": 90000 + n, "name": f"Alliance {n}",
                                      "tag": f"E{n}"},
            "npc_messages": lambda: {"world_id": "testworld", "from_npc_id": self.npc_id, "to_player_id": 80000 + n,
                                     "message_body": "Greetings."},
            "npc_battle_history": lambda: {"world_id": "testworld", "npc_id": self.npc_id, "attacker_id": 1,
                                           "defender_id": 2, "occurred_at": _now()},
            "npc_trade_history": lambda: {"world_id": "testworld", "npc_id": self.npc_id},
            "schema_versions": lambda: {"version": f"engine-test-{n}"},
        }[table]()

    def params(self, table: str, values: dict[str, object]) -> list:
        return [Jsonb(v) if (table, k) in JSONB_COLUMNS and v is not None else v for k, v in values.items()]

    def insert(self, table: str, **overrides) -> dict:
        """INSERT the required columns (with `overrides`) and return the stored row."""
        values = self.required(table) | overrides
        columns = ", ".join(values)
        marks = ", ".join(["%s"] * len(values))
        row = self.sql(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING *",
                       self.params(table, values))[0]
        # Django's connection hands JSONB back as text (its JSONField decodes); decode as the engine would.
        return {k: json.loads(v) if (table, k) in JSONB_COLUMNS and v is not None else v for k, v in row.items()}

    def update(self, table: str, row_id: int, **values) -> None:
        assignments = ", ".join(f"{column} = %s" for column in values)
        self.sql(f"UPDATE {table} SET {assignments} WHERE id = %s", [*self.params(table, values), row_id])

    def refused(self, action, *args, **kwargs) -> Refusal:
        """Run `action(*args, **kwargs)` in a savepoint; it must be refused by PostgreSQL."""
        try:
            with transaction.atomic():
                action(*args, **kwargs)
        except DatabaseError as exc:
            cause = exc.__cause__
            assert isinstance(cause, errors.Error), exc
            return Refusal(cause.sqlstate, cause.diag.constraint_name, cause.diag.column_name, str(cause))
        pytest.fail(f"PostgreSQL accepted {action.__name__}{args} {kwargs}")


def _now():
    from django.utils import timezone

    return timezone.now()


@pytest.fixture
def engine(db) -> Engine:
    return Engine()


@pytest.fixture
def count_queries():
    """Run a callable and return (result, [sql, ...]) of the queries it made."""

    def run(func, *args, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            result = func(*args, **kwargs)
        return result, [q["sql"] for q in captured.captured_queries]

    return run


def full_counts(queries: list[str]) -> list[str]:
    """Queries that aggregate a count over a table (what big changelists must never run)."""
    return [sql for sql in queries if "COUNT(" in sql.upper()]
