"""The runtime page's WebSocket: pushes the live snapshot once a second, or at once on change.

One consumer per open page. Only for `view_runtime` (others are closed before the handshake
completes) and at most 20 incoming messages a second (`npcadmin.access.GuardedConsumerMixin`).
Each consumer runs one push task, cancelled when the socket goes away; `CONSUMERS` holds the
open ones (tests and the simulator's report read it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from npcadmin.access import GuardedConsumerMixin
from npcs.runtime.client import UNAVAILABLE_ERRORS
from npcs.runtime.selectors import npc_names, shared_snapshot, snapshot_npc_ids, with_npc_names
from npcs.runtime.services import RUNTIME_GROUP

logger = logging.getLogger(__name__)

PUSH_INTERVAL = 1.0
HEARTBEAT_EVERY = 15.0  # resend an unchanged snapshot so the page can show it is still live
LAYER_TIMEOUT = 1.0
LAYER_RETRY = 2.0

CONSUMERS: set[RuntimeConsumer] = set()


class RuntimeConsumer(GuardedConsumerMixin, AsyncJsonWebsocketConsumer):
    # The handshake needs view_runtime; more than 20 messages a second close the socket (4429).
    capability = "view_runtime"
    max_messages_per_second = 20

    # Channels reads the layer through `channel_receive`; a failure there would end the
    # consumer, so when the layer's Redis is down we wait and retry instead: the page keeps
    # its live numbers (or its "Redis unavailable" state) and only loses instant wake-ups.
    @property
    def channel_receive(self):
        return self._resilient_channel_receive

    @channel_receive.setter
    def channel_receive(self, receive):
        self._layer_receive = receive

    async def _resilient_channel_receive(self):
        while True:
            try:
                return await self._layer_receive()
            except (*UNAVAILABLE_ERRORS, RedisError):
                logger.warning("runtime socket: channel layer unavailable; retrying in %.0f s", LAYER_RETRY)
                await asyncio.sleep(LAYER_RETRY)

    async def connect(self):
        self._in_group = await self._layer("group_add")
        self._wake = asyncio.Event()
        self._names: dict[int, str] = {}
        await self.accept()
        CONSUMERS.add(self)
        self._pusher = asyncio.create_task(self._push_loop())

    async def disconnect(self, code):
        CONSUMERS.discard(self)
        pusher = getattr(self, "_pusher", None)
        if pusher is not None:
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pusher
        if getattr(self, "_in_group", False):
            await self._layer("group_discard")

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "refresh":
            self._wake.set()

    async def runtime_changed(self, event):
        """Group message sent by an action (requeue, drop, purge, reset, flush)."""
        self._wake.set()

    async def _layer(self, operation: str) -> bool:
        """Join or leave the change group; the live push works without it (the layer's Redis
        may be down), it only makes changes show sooner."""
        if self.channel_layer is None:
            return False
        try:
            await asyncio.wait_for(getattr(self.channel_layer, operation)(RUNTIME_GROUP, self.channel_name),
                                   timeout=LAYER_TIMEOUT)
            return True
        except Exception:  # noqa: BLE001
            logger.warning("runtime socket: channel layer %s failed", operation, exc_info=True)
            return False

    async def _push_loop(self):
        last_sent, last_sent_at, forced = None, 0.0, False
        loop = asyncio.get_running_loop()
        while True:
            snapshot = await shared_snapshot(max_age=0 if forced else PUSH_INTERVAL * 0.9)
            comparable = {k: v for k, v in snapshot.items() if k != "at"}
            if comparable != last_sent or loop.time() - last_sent_at >= HEARTBEAT_EVERY:
                await self.send_json(await self._with_names(snapshot))
                last_sent, last_sent_at = comparable, loop.time()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=PUSH_INTERVAL)
                forced = True
            except TimeoutError:
                forced = False
            self._wake.clear()

    async def _with_names(self, snapshot: dict) -> dict:
        missing = snapshot_npc_ids(snapshot) - set(self._names)
        if missing:
            if len(self._names) > 10_000:
                self._names.clear()
            try:
                found = await database_sync_to_async(npc_names)(missing)
                self._names.update(dict.fromkeys(missing) | found)  # unknown ids are not asked again
            except Exception:  # noqa: BLE001 - names are decoration; never stop the push for them
                logger.warning("runtime socket: could not load NPC names", exc_info=True)
        return with_npc_names(snapshot, self._names)
