"""Fixtures for the world databases: raw SQL per world, and a world whose database is down."""

from __future__ import annotations

import pytest
from django.db import connections

from npcadmin.routers import world_db
from tests.worlds import outage


@pytest.fixture
def world_sql():
    """Run SQL in a world database the way the NPC engine does: `world_sql("demo", "SELECT ...")`."""

    def run(world_id: str, statement: str, params=None):
        with connections[world_db(world_id)].cursor() as cursor:
            cursor.execute(statement, params or [])
            return cursor.fetchall() if cursor.description else None

    return run


@pytest.fixture
def world_down():
    """`with world_down("demo"):` the world's server is unreachable (transaction=True tests)."""
    return outage.world_down


@pytest.fixture
def world_missing():
    """`with world_missing("demo"):` the world's database does not exist (transaction=True tests)."""
    return outage.world_missing


@pytest.fixture
def world_hung():
    """`with world_hung("demo"):` the world's server accepts but never answers (transaction=True tests)."""
    return outage.world_hung
