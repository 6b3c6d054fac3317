"""Fixtures of the runtime tests: our async client and the seed's, on the same flushed Redis."""

from __future__ import annotations

import pytest
from django.conf import settings

from npcs.runtime.client import RuntimeClient
from tests.npcs.runtime.seed_client import NPCCacheManager


@pytest.fixture
async def runtime(redis_client):
    client = RuntimeClient.from_url(settings.NPCADMIN_RUNTIME_REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
async def seed(redis_client):
    """The seed's own client, as the NPC engine runs it."""
    manager = NPCCacheManager(settings.NPCADMIN_RUNTIME_REDIS_URL)
    yield manager
    await manager.redis.aclose()


FULL_STATE = {
    "villages": 3,
    "population": 1250,
    "rank": 17,
    "offensive_power": 4200,
    "last_decision": "1764288000.5",
    "current_strategy": "military",
}
