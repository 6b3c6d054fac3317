"""Faults: Redis gone or a world database gone must degrade the service, not take it down."""

from __future__ import annotations

import copy

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings

from npcadmin import health

pytestmark = pytest.mark.django_db(databases="__all__")

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down():
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = DEAD_REDIS
    layers = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [DEAD_REDIS]}}}
    with override_settings(CACHES=caches, CHANNEL_LAYERS=layers, REDIS_URL=DEAD_REDIS,
                           NPCADMIN_RUNTIME_REDIS_URL=DEAD_REDIS, NPCADMIN_HEALTH_CACHE_SECONDS=0):
        yield
    health._cached.clear()


def test_console_keeps_working_while_redis_is_down(client, redis_down):
    get_user_model().objects.create_superuser("gm", password="right-password-123")
    # Logging in (the throttle's counters are in Redis: it fails open) and browsing both work.
    assert client.post("/admin/login/", {"username": "gm", "password": "wrong"}).status_code == 200
    assert client.post("/admin/login/", {"username": "gm", "password": "right-password-123"}).status_code == 302
    assert client.get("/admin/").status_code == 200
    probe = client.get("/healthz")  # every instance shares this Redis: stay in rotation, say degraded
    assert probe.status_code == 200 and probe.json()["status"] == "degraded"
    assert client.get("/healthz?full=1").status_code == 503  # while monitoring alerts


def test_a_world_down_keeps_the_instance_in_the_load_balancer(client):
    config = settings.DATABASES["world_demo"]
    saved = {k: config.get(k) for k in ("HOST", "PORT")}
    config.update(HOST="127.0.0.1", PORT="1")
    health._cached.clear()
    try:
        with override_settings(NPCADMIN_HEALTH_CACHE_SECONDS=0):
            assert client.get("/healthz").status_code == 200  # the global DB and Redis serve
            full = client.get("/healthz?full=1")
    finally:
        config.update(saved)
        health._cached.clear()
    assert full.status_code == 503
    assert {c["name"]: c["status"] for c in full.json()["checks"]}["database:world_demo"] == "error"
