"""Writes of the runtime that need the database or tell the live pages about a change."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from npcs.runtime.selectors import expected_npc_state, world_states_for_cache
from npcs.runtime.sync import SyncRuntime

logger = logging.getLogger(__name__)

RUNTIME_GROUP = "npcadmin.runtime"


def runtime_warm_state(*, world_id: str | None = None, npc_ids: Iterable[int] | None = None,
                       include_inactive: bool = False, dry_run: bool = False,
                       runtime: SyncRuntime | None = None,
                       progress: Callable[[int], None] | None = None) -> int:
    """Fill `npc:state:{npc_id}` (TTL 5 min) from `npc_world_state` for the NPCs the engine
    runs (active, not paused, unless `include_inactive`); returns how many were (or would be)
    written. One query, streamed; Redis writes in one transaction per NPC."""
    runtime = runtime or SyncRuntime()
    rows = world_states_for_cache(npc_ids=npc_ids, world_id=world_id)
    if not include_inactive:
        rows = rows.filter(npc__active=True, npc__paused=False)
    written = 0
    for world_state in rows.iterator(chunk_size=500):
        if not dry_run:
            runtime.cache_npc_state(world_state.npc_id, expected_npc_state(world_state))
        written += 1
        if progress:
            progress(1)
    return written


def runtime_notify_change() -> None:
    """Tell every open runtime page to refresh now (over the Channels layer); best effort:
    a page that misses it refreshes within a second anyway."""
    import asyncio

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return

    async def send():
        await asyncio.wait_for(layer.group_send(RUNTIME_GROUP, {"type": "runtime.changed"}), timeout=1.0)

    try:
        async_to_sync(send)()
    except Exception:  # noqa: BLE001 - the layer's Redis may be the one that is down
        logger.warning("runtime: could not notify live pages of a change", exc_info=True)
