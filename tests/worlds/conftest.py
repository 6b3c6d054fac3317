"""Fixtures for the world databases: raw SQL per world, and a world whose database is down."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connections

from npcadmin.routers import world_db


@pytest.fixture
def world_sql():
    """Run SQL in a world database the way the NPC engine does: `world_sql("demo", "SELECT ...")`."""

    def run(world_id: str, statement: str, params=None):
        with connections[world_db(world_id)].cursor() as cursor:
            cursor.execute(statement, params or [])
            return cursor.fetchall() if cursor.description else None

    return run


@contextlib.contextmanager
def _unavailable(world_id: str, **broken):
    connection = connections[world_db(world_id)]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(broken)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.fixture
def world_down():
    """`with world_down("demo"):` the world's server is unreachable (its socket directory is gone).

    Use in `transaction=True` tests: a test transaction would keep the old connection open.
    """
    return lambda world_id: _unavailable(world_id, HOST="/nonexistent/npcadmin-world-down")


@pytest.fixture
def world_missing():
    """`with world_missing("demo"):` the world's database does not exist on its server."""
    return lambda world_id: _unavailable(world_id, NAME="npcadmin_no_such_world")
