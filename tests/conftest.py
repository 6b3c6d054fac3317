"""Shared fixtures: real PostgreSQL (global + world databases) and a real Redis."""

from __future__ import annotations

import os

import pytest
import redis
from django.conf import settings
from hypothesis import settings as hypothesis_settings

# CI explores the same examples on every run (a red build always reproduces); developers' runs
# stay random, so they keep finding new cases (see tests/junk.py for a deeper search).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


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
