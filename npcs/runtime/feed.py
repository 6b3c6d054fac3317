"""The live runtime feed of one process: one snapshot per second, serialised once, sent to every page.

`SnapshotFeed` is per event loop (per ASGI worker process) and Redis URL. Its one ticker task
computes the snapshot on a fixed one-second schedule (not "a second after the last one", which
drifts by the work done), joins the NPC names once, turns it into JSON text once, and hands the
same text to every subscribed consumer. A consumer still sending the previous frame (a slow
client) skips this one instead of holding up the others or queueing frames. The ticker starts
with the first subscriber and stops with the last.

It also records the queue depths it saw in `npcadmin:runtime:queue_depth` (one sample per
second however many processes watch, the last hour kept): Redis keeps no history of a queue's
depth, and a per-process buffer would give each worker (and each restart) a different chart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from redis.exceptions import RedisError

from npcs.runtime.client import UNAVAILABLE_ERRORS, get_client, runtime_url
from npcs.runtime.selectors import npc_names, shared_snapshot, snapshot_npc_ids, with_npc_names

logger = logging.getLogger(__name__)

PUSH_INTERVAL = 1.0
HEARTBEAT_EVERY = 15.0  # resend an unchanged snapshot so the page can show it is still live
NAMES_KEPT = 10_000

Send = Callable[[str], Awaitable[None]]


class SnapshotFeed:
    """One ticker per process and Redis URL; subscribers are send callables (a consumer's)."""

    def __init__(self, url: str):
        self.url = url
        self.subscribers: dict[object, tuple[Send, asyncio.Task | None]] = {}
        self.last_payload: str | None = None
        self.frames_skipped = 0  # frames a slow subscriber missed (still sending the previous one)
        self._wake = asyncio.Event()
        self._names: dict[int, str | None] = {}
        self._task: asyncio.Task | None = None

    # --- subscribers ----------------------------------------------------------------------
    def subscribe(self, key: object, send: Send) -> None:
        """Start sending to `send`; it gets the latest frame at once (no wait for the next tick)."""
        self.subscribers[key] = (send, None)
        if self.last_payload is not None:
            self._send(key, self.last_payload)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"runtime-feed {self.url}")

    async def unsubscribe(self, key: object) -> None:
        send, pending = self.subscribers.pop(key, (None, None))
        if pending is not None and not pending.done():
            pending.cancel()
        if not self.subscribers and self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            self.last_payload = None

    def wake(self) -> None:
        """Recompute and send now (an action changed something)."""
        self._wake.set()

    # --- the ticker -----------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last_sent, last_sent_at, forced = None, float("-inf"), False
        next_tick = loop.time()
        while True:
            try:
                snapshot = await shared_snapshot(self.url, max_age=0 if forced else PUSH_INTERVAL * 0.9)
                comparable = {k: v for k, v in snapshot.items() if k != "at"}
                if comparable != last_sent or loop.time() - last_sent_at >= HEARTBEAT_EVERY:
                    self.last_payload = json.dumps(await self._with_names(snapshot), separators=(",", ":"))
                    for key in list(self.subscribers):
                        self._send(key, self.last_payload)
                    last_sent, last_sent_at = comparable, loop.time()
                await self._sample(snapshot)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bad tick must not end every page's feed
                logger.exception("runtime feed: tick failed")
            next_tick += PUSH_INTERVAL
            if next_tick < loop.time():  # fell behind (a slow Redis): skip the missed ticks
                next_tick = loop.time() + PUSH_INTERVAL
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, next_tick - loop.time()))
                forced = True
            except TimeoutError:
                forced = False
            self._wake.clear()

    def _send(self, key: object, payload: str) -> None:
        send, pending = self.subscribers[key]
        if pending is not None and not pending.done():
            self.frames_skipped += 1
            return
        self.subscribers[key] = (send, asyncio.get_running_loop().create_task(self._deliver(send, payload)))

    @staticmethod
    async def _deliver(send: Send, payload: str) -> None:
        with contextlib.suppress(Exception):  # a socket closing under us: its disconnect unsubscribes it
            await send(payload)

    async def _with_names(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        missing = snapshot_npc_ids(snapshot) - set(self._names)
        if missing:
            if len(self._names) > NAMES_KEPT:
                self._names.clear()
            try:
                found = await database_sync_to_async(npc_names)(missing)
                self._names.update(dict.fromkeys(missing) | found)  # unknown ids are not asked again
            except Exception:  # noqa: BLE001 - names are decoration; never stop the push for them
                logger.warning("runtime feed: could not load NPC names", exc_info=True)
        return with_npc_names(snapshot, self._names)

    async def _sample(self, snapshot: dict[str, Any]) -> None:
        if not snapshot.get("available"):
            return
        depths = {q["priority"]: q["depth"] for q in snapshot["queues"]}
        try:
            await get_client(self.url).record_queue_depths(snapshot["at"], depths)
        except (*UNAVAILABLE_ERRORS, RedisError):
            logger.warning("runtime feed: could not record the queue depths", exc_info=True)


_feeds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, SnapshotFeed]] = weakref.WeakKeyDictionary()


def feed_for(url: str | None = None) -> SnapshotFeed:
    """This event loop's feed for `url` (default: the runtime Redis setting)."""
    url = url or runtime_url()
    per_loop = _feeds.setdefault(asyncio.get_running_loop(), {})
    if url not in per_loop:
        per_loop[url] = SnapshotFeed(url)
    return per_loop[url]


def open_feeds() -> list[SnapshotFeed]:
    """The feeds of the running loop (tests and the benchmark read their subscribers)."""
    return list(_feeds.get(asyncio.get_running_loop(), {}).values())
