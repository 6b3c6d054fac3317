"""Writes of the runtime that need the database or tell the live pages about a change."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from npcadmin import audit
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


# --- The runtime page's operations ------------------------------------------------------------
# Each is keyword-only, takes the user who asked (`by_user`), records what it did through
# `_record` (the one audit call site of this module), tells the live pages, and raises
# `RuntimeUnavailable` when Redis is down or slow (the views turn that into a message).


def _record(by_user, action: str, object_type: str, object_id="", **detail) -> None:
    audit.record(by_user=by_user, actor="unknown", via="runtime", action=f"runtime.{action}",
                 object_type=f"runtime.{object_type}", object_id=object_id, detail=detail)


def runtime_queue_requeue(*, member: str, from_priority: int, to_priority: int, by_user,
                          runtime: SyncRuntime | None = None) -> bool:
    """Move one queued decision to another priority; False when the engine already took it."""
    moved = (runtime or SyncRuntime()).requeue(member, from_priority=from_priority, to_priority=to_priority)
    if moved:
        _record(by_user, "queue_requeue", "decision", member[:200], from_priority=from_priority,
                to_priority=to_priority)
        runtime_notify_change()
    return moved


def runtime_queue_drop(*, member: str, priority: int, by_user, runtime: SyncRuntime | None = None) -> bool:
    """Drop one queued decision; False when the engine already took it."""
    dropped = (runtime or SyncRuntime()).drop(member, priority=priority)
    if dropped:
        _record(by_user, "queue_drop", "decision", member[:200], priority=priority)
        runtime_notify_change()
    return dropped


def runtime_queue_purge(*, priority: int, queued_up_to: float, by_user,
                        runtime: SyncRuntime | None = None) -> int:
    """Drop the decisions of one priority queued up to `queued_up_to` (the score the page
    showed), so decisions queued since the confirmation stay; returns how many went."""
    dropped = (runtime or SyncRuntime()).purge(priority, queued_up_to=queued_up_to)
    _record(by_user, "queue_purge", "queue", priority, removed=dropped, queued_up_to=queued_up_to)
    runtime_notify_change()
    return dropped


def runtime_ratelimit_reset(*, npc_id: int, by_user, runtime: SyncRuntime | None = None) -> bool:
    """Close an NPC's LLM rate-limit window; False when it had none open."""
    reset = (runtime or SyncRuntime()).reset_rate_limit(npc_id)
    if reset:
        _record(by_user, "ratelimit_reset", "ratelimit", npc_id)
        runtime_notify_change()
    return reset


def runtime_llm_cache_flush(*, by_user, runtime: SyncRuntime | None = None) -> int:
    """Delete every cached LLM response; returns how many."""
    deleted = (runtime or SyncRuntime()).flush_llm_cache()
    _record(by_user, "llm_cache_flush", "llm_cache", removed=deleted)
    runtime_notify_change()
    return deleted


def runtime_key_delete(*, key: str, by_user, runtime: SyncRuntime | None = None) -> bool:
    """Delete one Redis key from the key browser (UNLINK); False when it was already gone."""
    runtime = runtime or SyncRuntime()
    (before,) = runtime.key_summaries([key])
    deleted = runtime.delete_key(key)
    _record(by_user, "key_delete", "key", key[:200], deleted=deleted, type=before.type, ttl=before.ttl,
            size=before.size, memory_bytes=before.memory_bytes)
    if deleted:
        runtime_notify_change()
    return deleted
