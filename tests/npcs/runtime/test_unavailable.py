"""Redis down or slow: every page still answers, runtime pages say so, and recover by themselves."""

from __future__ import annotations

import socket
import time

import pytest
from django.test import override_settings
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.faults]

DEAD_SOCKET = "unix:///nonexistent/npcadmin-runtime.sock"


@pytest.fixture
def staff_client(client, django_user_model):
    from tests.factories.access import user_in_role

    client.force_login(user_in_role("ops", username="ops"))  # the role that operates the runtime
    return client


@pytest.fixture
def silent_port():
    """A TCP port that accepts connections and never answers: a Redis that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


@pytest.mark.parametrize("name,args", [
    ("runtime:overview", []), ("runtime:queue", [5]), ("runtime:queue_purge", [5]), ("runtime:npcs", []),
    ("runtime:llm_cache_flush", []),
])
def test_every_runtime_page_answers_with_a_banner_when_redis_is_down(staff_client, name, args):
    with override_settings(NPCADMIN_RUNTIME_REDIS_URL=DEAD_SOCKET):
        response = staff_client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert "Redis unavailable." in response.content.decode()


@pytest.mark.parametrize("name,args,data", [
    ("runtime:queue_requeue", [], {"member": "{}", "priority": 5, "to_priority": 1}),
    ("runtime:queue_drop", [], {"member": "{}", "priority": 5}),
    ("runtime:queue_purge", [5], {"queued_up_to": "1", "confirm": "on"}),
    ("runtime:ratelimit_reset", [3], {}),
    ("runtime:llm_cache_flush", [], {"confirm": "on"}),
])
def test_actions_say_nothing_changed_when_redis_is_down(staff_client, name, args, data):
    with override_settings(NPCADMIN_RUNTIME_REDIS_URL=DEAD_SOCKET):
        response = staff_client.post(reverse(name, args=args), data, follow=True)
    assert response.status_code == 200
    assert "Redis unavailable" in response.content.decode()


def test_a_redis_that_hangs_is_cut_off_quickly(staff_client, silent_port):
    started = time.monotonic()
    with override_settings(NPCADMIN_RUNTIME_REDIS_URL=f"redis://127.0.0.1:{silent_port}/0",
                           NPCADMIN_RUNTIME_REDIS_TIMEOUT=0.3):
        response = staff_client.get(reverse("runtime:overview"))
    assert response.status_code == 200 and "Redis unavailable." in response.content.decode()
    assert time.monotonic() - started < 3


def test_database_pages_survive_a_dead_cache_and_channel_layer(staff_client, django_user_model):
    dead = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": DEAD_SOCKET,
                        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True}}}
    with override_settings(CACHES=dead, NPCADMIN_RUNTIME_REDIS_URL=DEAD_SOCKET):
        django_user_model.objects.filter(username="ops").update(is_superuser=True)
        assert staff_client.get("/admin/").status_code == 200
        assert staff_client.get(reverse("runtime:overview")).status_code == 200


def test_the_page_recovers_by_itself_when_redis_comes_back(staff_client, throwaway_redis):
    with override_settings(NPCADMIN_RUNTIME_REDIS_URL=throwaway_redis.url):
        throwaway_redis.client().zadd("npc:decisions:3", {'{"npc_id": 1}': 1.0})
        assert staff_client.get(reverse("runtime:overview")).context["snapshot"]["queued_total"] == 1
        throwaway_redis.stop()
        down = staff_client.get(reverse("runtime:overview"))
        assert down.status_code == 200 and "Redis unavailable." in down.content.decode()
        throwaway_redis.start()  # an empty Redis again (no persistence), on the same socket
        back = staff_client.get(reverse("runtime:overview"))
        assert back.context["snapshot"]["available"] is True
        assert back.context["snapshot"]["queued_total"] == 0
