"""The runtime page's WebSocket: the live snapshot once a second, or at once on change.

One consumer per open page, all fed by the process's one `SnapshotFeed` (npcs/runtime/feed.py):
the snapshot is computed, named and serialised once per tick whatever the number of pages.
Only for `view_runtime` (others are closed before the handshake completes) and at most 20
incoming messages a second (`npcadmin.access.GuardedConsumerMixin`). `CONSUMERS` holds the open
ones (tests and the simulator's report read it).
"""

from __future__ import annotations

import asyncio
import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from npcadmin.access import GuardedConsumerMixin
from npcs.runtime.client import UNAVAILABLE_ERRORS
from npcs.runtime.feed import feed_for
from npcs.runtime.services import RUNTIME_GROUP

logger = logging.getLogger(__name__)

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
        await self.accept()
        CONSUMERS.add(self)
        self._feed = feed_for()
        self._feed.subscribe(self, self._send_frame)

    async def _send_frame(self, text: str) -> None:
        await self.send(text_data=text)

    async def disconnect(self, code):
        CONSUMERS.discard(self)
        feed = getattr(self, "_feed", None)
        if feed is not None:
            await feed.unsubscribe(self)
        if getattr(self, "_in_group", False):
            await self._layer("group_discard")

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "refresh":
            self._feed.wake()

    async def runtime_changed(self, event):
        """Group message sent by an action (requeue, drop, purge, reset, flush)."""
        self._feed.wake()

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
