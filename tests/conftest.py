"""Shared fixtures: real PostgreSQL (global + world databases) and a real Redis."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings


@pytest.fixture
def redis_client():
    """A client on the test Redis database, emptied before and after the test."""
    client = redis.Redis.from_url(settings.NPCADMIN_RUNTIME_REDIS_URL, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def raw_sql(django_db_blocker):
    """Run SQL on the global database the way the NPC engine does: plain statements, no ORM."""
    from django.db import connection

    def run(statement: str, params=None):
        with connection.cursor() as cursor:
            cursor.execute(statement, params or [])
            return cursor.fetchall() if cursor.description else None

    return run
