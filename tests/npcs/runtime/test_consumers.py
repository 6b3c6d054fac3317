"""The live push: a real WebSocket client, the real ASGI stack and the real channels-redis layer."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client, override_settings

from npcadmin import access
from npcadmin.asgi import application
from npcs.runtime import consumers, feed
from npcs.runtime.consumers import RuntimeConsumer
from npcs.runtime.services import RUNTIME_GROUP

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]


def _session_cookie(**flags) -> bytes:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(f"u{len(flags)}{sorted(flags)}", password="x", **flags)
    if flags.get("is_staff"):
        from tests.factories.access import user_in_role

        user.groups.add(user_in_role("analyst", username=f"seed-{user.username}").groups.get())
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _socket(cookie: bytes | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/runtime/", headers=headers)


async def _receive_until(communicator, predicate, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        message = await communicator.receive_json_from(timeout=max(0.1, deadline - asyncio.get_running_loop().time()))
        if predicate(message):
            return message


async def test_anonymous_sockets_are_refused(redis_client):
    communicator = await _socket(None)
    connected, code = await communicator.connect()
    assert not connected and code == access.CLOSE_FORBIDDEN


async def test_non_staff_sockets_are_refused(redis_client):
    communicator = await _socket(await database_sync_to_async(_session_cookie)())
    connected, code = await communicator.connect()
    assert not connected and code == access.CLOSE_FORBIDDEN


async def test_staff_socket_gets_the_snapshot_and_a_pushed_change(runtime):
    communicator = await _socket(await database_sync_to_async(_session_cookie)(is_staff=True))
    connected, _ = await communicator.connect()
    assert connected
    first = await communicator.receive_json_from(timeout=5)
    assert first["available"] is True and first["queues_by_priority"]["3"]["depth"] == 0

    await runtime.queue_decision(42, {"action": "defend"}, priority=3)
    changed = await _receive_until(communicator, lambda m: m["queues_by_priority"]["3"]["depth"] == 1)
    assert changed["queued_total"] == 1
    await communicator.disconnect()


async def test_an_action_wakes_every_page_at_once(runtime, monkeypatch):
    monkeypatch.setattr(feed, "PUSH_INTERVAL", 60.0)  # only the group message can wake it now
    communicator = WebsocketCommunicator(RuntimeConsumer.as_asgi(), "/ws/runtime/")
    communicator.scope["user"] = await database_sync_to_async(_staff)()
    assert (await communicator.connect())[0]
    await communicator.receive_json_from(timeout=5)
    await runtime.touch_active(7)
    await get_channel_layer().group_send(RUNTIME_GROUP, {"type": "runtime.changed"})
    message = await _receive_until(communicator, lambda m: m["active_count"] == 1, timeout=10)
    assert message["active_count"] == 1
    await communicator.disconnect()


def _staff():

    from tests.factories.access import user_in_role

    return user_in_role("analyst", username="staff-direct")  # view_runtime


async def test_disconnect_cancels_the_push_and_leaves_the_group(runtime):
    communicator = WebsocketCommunicator(RuntimeConsumer.as_asgi(), "/ws/runtime/")
    communicator.scope["user"] = await database_sync_to_async(_staff)()
    await communicator.connect()
    await communicator.receive_json_from(timeout=5)
    (consumer,) = consumers.CONSUMERS
    (live,) = feed.open_feeds()
    ticker = live._task
    assert set(live.subscribers) == {consumer}
    await communicator.disconnect()
    assert not consumers.CONSUMERS
    assert not live.subscribers and live._task is None  # the last page gone: the ticker stops
    assert ticker.cancelled() or ticker.done()
    layer = get_channel_layer()
    group_key = layer._group_key(RUNTIME_GROUP)
    connection = layer.connection(layer.consistent_hash(RUNTIME_GROUP))
    assert await connection.zcard(group_key) == 0


@pytest.mark.faults
async def test_the_socket_says_when_redis_is_down_and_keeps_going(redis_client):
    communicator = WebsocketCommunicator(RuntimeConsumer.as_asgi(), "/ws/runtime/")
    communicator.scope["user"] = await database_sync_to_async(_staff)()
    with override_settings(NPCADMIN_RUNTIME_REDIS_URL="unix:///nonexistent/npcadmin.sock"):
        assert (await communicator.connect())[0]
        message = await communicator.receive_json_from(timeout=5)
        assert message["available"] is False and message["error"]
        await communicator.disconnect()


async def test_anonymous_user_scope_is_refused_by_the_consumer_itself():
    communicator = WebsocketCommunicator(RuntimeConsumer.as_asgi(), "/ws/runtime/")
    communicator.scope["user"] = AnonymousUser()
    connected, code = await communicator.connect()
    assert not connected and code == access.CLOSE_FORBIDDEN


@pytest.mark.faults
async def test_the_live_push_works_when_the_channel_layers_redis_is_down(runtime):
    dead_layer = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                              "CONFIG": {"hosts": ["unix:///nonexistent/layer.sock"]}}}
    communicator = WebsocketCommunicator(RuntimeConsumer.as_asgi(), "/ws/runtime/")
    communicator.scope["user"] = await database_sync_to_async(_staff)()
    with override_settings(CHANNEL_LAYERS=dead_layer):
        assert (await communicator.connect(timeout=5))[0]
        await runtime.queue_decision(1, {"a": 1}, priority=1)
        message = await _receive_until(communicator, lambda m: m["queued_total"] == 1)
        assert message["available"] is True
        await communicator.disconnect()
    assert not consumers.CONSUMERS


@pytest.mark.faults
async def test_the_live_page_goes_unavailable_and_comes_back_by_itself(throwaway_redis, redis_client):
    communicator = WebsocketCommunicator(RuntimeConsumer.as_asgi(), "/ws/runtime/")
    communicator.scope["user"] = await database_sync_to_async(_staff)()
    with override_settings(NPCADMIN_RUNTIME_REDIS_URL=throwaway_redis.url):
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from(timeout=5))["available"] is True
        await asyncio.to_thread(throwaway_redis.stop)
        down = await _receive_until(communicator, lambda m: m["available"] is False, timeout=10)
        assert down["error"]
        await asyncio.to_thread(throwaway_redis.start)
        await asyncio.to_thread(throwaway_redis.client().zadd, "npc:decisions:2", {"{}": 1.0})
        back = await _receive_until(communicator, lambda m: m["available"] and m["queued_total"] == 1, timeout=10)
        assert back["queues_by_priority"]["2"]["depth"] == 1
        await communicator.disconnect()
