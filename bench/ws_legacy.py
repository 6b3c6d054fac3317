"""The runtime feed as it was before the shared fan-out, for bench/ws_clients.py's baseline only.

Each consumer ran its own push loop: ask the process's cached snapshot, join NPC names from its
own cache, serialise it for itself (`send_json`), then wait a second *after* its own work
(drifting by that work). This module serves exactly that loop on the project's ASGI stack
(`uvicorn bench.ws_legacy:application`), so the benchmark compares both designs in one run.
Never routed by the project itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.production")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.db import database_sync_to_async  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from npcs.runtime.consumers import CONSUMERS, RuntimeConsumer  # noqa: E402
from npcs.runtime.selectors import npc_names, shared_snapshot, snapshot_npc_ids, with_npc_names  # noqa: E402

PUSH_INTERVAL = 1.0
HEARTBEAT_EVERY = 15.0


class PerClientRuntimeConsumer(RuntimeConsumer):
    """The old design: one push loop, one names cache and one serialisation per open page."""

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
        self._wake.set()

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
            found = await database_sync_to_async(npc_names)(missing)
            self._names.update(dict.fromkeys(missing) | found)
        return with_npc_names(snapshot, self._names)


application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter([
        path("ws/runtime/", PerClientRuntimeConsumer.as_asgi()),
    ]))),
})
