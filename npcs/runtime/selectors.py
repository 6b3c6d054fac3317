"""Reads of the runtime: the live snapshot (Redis only) and its joins with the database.

`runtime_snapshot` is what the page renders first and what the WebSocket pushes afterwards,
so the two can never disagree. It touches Redis only; NPC names and the database's
`npc_world_state` are joined by the sync helpers below, in the caller's own thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import weakref
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from redis.exceptions import RedisError

from npcs.models import NPCWorldState
from npcs.runtime import keys
from npcs.runtime.client import UNAVAILABLE_ERRORS, QueuedDecision, RuntimeClient, get_client
from npcs.selectors import npc_names

UNPARSABLE_SHOWN = 20  # unreadable metrics keys listed on the page (the count is always shown)
SNAPSHOT_MINUTES = 15  # decisions-per-minute rows in the snapshot's table
CHART_MINUTES = 60  # minutes of the charts (metrics:decisions keys live an hour)
TOP_RATE_LIMITS = 10
PEEK_COUNT = 5  # next decisions shown per queue
LLM_STATS_MAX_AGE = 5.0  # seconds the live push reuses the LLM cache statistics


def rate_limit_max() -> int:
    return int(getattr(settings, "NPCADMIN_RUNTIME_LLM_RATE_LIMIT", keys.RATELIMIT_LLM_DEFAULT_MAX))


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


_llm_stats_cache: weakref.WeakKeyDictionary[RuntimeClient, tuple[float, Any]] = weakref.WeakKeyDictionary()


async def _llm_cache_stats(client: RuntimeClient, max_age: float):
    """The LLM cache statistics scan the whole keyspace: reuse them for `max_age` seconds."""
    cached = _llm_stats_cache.get(client)
    if max_age and cached and time.monotonic() - cached[0] < max_age:
        return cached[1]
    stats = await client.llm_cache_stats()
    _llm_stats_cache[client] = (time.monotonic(), stats)
    return stats


async def runtime_snapshot(client: RuntimeClient, *, llm_stats_max_age: float = 0) -> dict[str, Any]:
    """Every live number of the runtime page, JSON-ready. Raises when Redis is unavailable."""
    now = time.time()
    limit = rate_limit_max()
    depths = await client.queue_depths(await client.queue_priorities())
    active = await client.active_npcs()
    windows = await client.rate_limits()
    cache = await _llm_cache_stats(client, llm_stats_max_age)
    # One SCAN of metrics:decisions:* and one pipeline of HGETALLs for the chart's hour; the
    # table shows its last 15 minutes.
    read = await client.decision_minutes(CHART_MINUTES)
    history = read.minutes
    minutes = history[-SNAPSHOT_MINUTES:]
    info = await client.server_info()

    queues = [{"priority": d.priority, "standard": d.priority in keys.PRIORITIES, "depth": d.depth,
               "oldest_age": _round(d.oldest_age_seconds(now)),
               "next": [decision_row(i) for i in await client.peek(d.priority, count=PEEK_COUNT)] if d.depth else []}
              for d in depths]
    near = [w for w in windows if w.count >= max(1, int(limit * 0.8))]
    recent = [m for m in minutes if m.total]
    current = minutes[-1]
    return {
        "available": True,
        "at": now,
        "queues": queues,
        "queues_by_priority": {str(q["priority"]): q for q in queues},
        "queued_total": sum(d.depth for d in depths),
        "active_count": len(active),
        "active_last_minute": sum(1 for at in active.values() if at and now - at.timestamp() <= 60),
        "ratelimits": {
            "limit": limit,
            "open": len(windows),
            "near": sum(1 for w in near if w.count < limit),
            "at_limit": sum(1 for w in windows if w.count >= limit),
            "top": [{"npc_id": w.npc_id, "count": w.count, "ttl": w.ttl, "at_limit": w.count >= limit}
                    for w in near[:TOP_RATE_LIMITS]],
        },
        "llm_cache": {
            "entries": cache.entries, "truncated": cache.truncated,
            "memory_bytes": cache.memory_bytes, "memory_human": human_bytes(cache.memory_bytes),
            "memory_is_estimate": cache.memory_is_estimate, "ttl_buckets": cache.ttl_buckets,
        },
        "metrics": {
            "minutes": [{"minute": m.minute.strftime("%H:%M"), "total": m.total, "llm_used": m.llm_used,
                         "rule_used": m.rule_used, "avg_latency": m.avg_latency} for m in reversed(minutes)],
            "current": {"total": current.total, "llm_used": current.llm_used, "rule_used": current.rule_used,
                        "avg_latency": current.avg_latency},
            # the charts' hour, oldest first: minute (epoch ms), LLM, rules, average latency
            "history": [{"t": int(m.minute.timestamp() * 1000), "llm_used": m.llm_used, "rule_used": m.rule_used,
                         "avg_latency": m.avg_latency} for m in history],
            "average_per_minute": _round(sum(m.total for m in recent) / len(recent)) if recent else 0,
            # keys whose {minute} no format reads: shown on the page, so an engine writing another
            # format is noticed instead of showing 0 decisions
            "unparsable_keys": read.unparsable[:UNPARSABLE_SHOWN],
            "unparsable_count": len(read.unparsable),
        },
        "redis": info,
    }


def queue_depth_chart(samples: list[tuple[int, dict[int, int]]]) -> dict[str, Any]:
    """The sampled queue depths as the chart draws them: times (epoch ms) and one series per priority."""
    return {"t": [second * 1000 for second, _ in samples],
            "depths": {str(p): [depths.get(p, 0) for _, depths in samples] for p in keys.PRIORITIES}}


def decision_row(item: QueuedDecision) -> dict[str, Any]:
    """A queued decision as the page shows it (and the WebSocket sends it)."""
    return {"member": item.member, "priority": item.priority, "npc_id": item.npc_id,
            "queued_at": item.queued_at.timestamp(), "queued_clock": item.queued_at.strftime("%H:%M:%S"),
            "summary": json.dumps(item.payload, separators=(",", ":"), default=str)[:160]}


def snapshot_npc_ids(snapshot: dict[str, Any]) -> set[int]:
    """NPCs a snapshot names: next decisions and busiest rate-limit windows."""
    if not snapshot.get("available"):
        return set()
    ids = {row["npc_id"] for q in snapshot["queues"] for row in q["next"]}
    ids |= {w["npc_id"] for w in snapshot["ratelimits"]["top"]}
    return {i for i in ids if i is not None}


def with_npc_names(snapshot: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    """A copy of the snapshot whose NPC rows carry their name and console link."""
    if not snapshot.get("available"):
        return snapshot
    queues = [{**q, "next": name_rows(q["next"], names)} for q in snapshot["queues"]]
    ratelimits = {**snapshot["ratelimits"], "top": name_rows(snapshot["ratelimits"]["top"], names)}
    return {**snapshot, "queues": queues, "queues_by_priority": {str(q["priority"]): q for q in queues},
            "ratelimits": ratelimits}


def name_rows(rows: list[dict[str, Any]], names: dict[int, str]) -> list[dict[str, Any]]:
    return [{**row, "npc_name": names.get(row["npc_id"]), "npc_url": npc_admin_url(row["npc_id"])} for row in rows]


def npc_admin_url(npc_id: int | None) -> str | None:
    """The NPC's page in the console, when the console registers NPCs (none for the simulator's negative ids)."""
    if npc_id is None or npc_id < 0:
        return None
    try:
        return reverse("admin:npcs_npc_change", args=[npc_id])
    except NoReverseMatch:
        return None


def unavailable_snapshot(error: BaseException | str) -> dict[str, Any]:
    return {"available": False, "at": time.time(), "error": str(error) or error.__class__.__name__}


_snapshot_cache: dict[tuple[int, str], tuple[float, dict[str, Any]]] = {}
_snapshot_locks: dict[tuple[int, str], asyncio.Lock] = {}


async def shared_snapshot(url: str | None = None, *, max_age: float = 0.9) -> dict[str, Any]:
    """The snapshot, computed at most once per `max_age` seconds however many pages watch it
    (each WebSocket consumer of the process asks; one of them does the work)."""
    from npcs.runtime.client import runtime_url

    url = url or runtime_url()
    cache_key = (id(asyncio.get_running_loop()), url)
    lock = _snapshot_locks.setdefault(cache_key, asyncio.Lock())
    async with lock:
        cached = _snapshot_cache.get(cache_key)
        if cached and time.monotonic() - cached[0] < max_age:
            return cached[1]
        try:
            # A forced refresh (after an action such as a flush) recomputes everything.
            snapshot = await runtime_snapshot(get_client(url), llm_stats_max_age=LLM_STATS_MAX_AGE if max_age else 0)
        except UNAVAILABLE_ERRORS as exc:
            snapshot = unavailable_snapshot(exc)
        except RedisError as exc:  # e.g. WRONGTYPE: show it rather than stop the live page
            snapshot = unavailable_snapshot(f"Redis error: {exc}")
        _snapshot_cache[cache_key] = (time.monotonic(), snapshot)
        return snapshot


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- Joins with the database (sync: call from views or via database_sync_to_async) ---------


def world_states_for_cache(*, npc_ids=None, world_id: str | None = None):
    """The `npc_world_state` row each NPC's `npc:state` is built from: its most recently
    updated world (an NPC playing several worlds has one state key, not one per world)."""
    rows = NPCWorldState.objects.select_related("npc")
    if npc_ids is not None:
        rows = rows.filter(npc_id__in=list(npc_ids))
    if world_id:
        rows = rows.filter(world_id=world_id)
    return rows.order_by("npc_id", "-state_updated_at", "-id").distinct("npc_id")


def expected_npc_state(world_state: NPCWorldState) -> dict[str, Any]:
    """The `npc:state` fields as the database knows them (the seed's six fields)."""
    last_decision = world_state.npc.last_decision
    return {
        "villages": world_state.village_count,
        "population": world_state.total_population,
        "rank": world_state.rank,
        "offensive_power": world_state.offensive_power,
        "last_decision": last_decision.timestamp() if last_decision else None,
        "current_strategy": world_state.current_strategy,
    }


@dataclass(frozen=True)
class StateDifference:
    field: str
    cached: str | None
    database: str | None


def state_differences(cached: dict[str, str], expected: dict[str, Any]) -> list[StateDifference]:
    """Fields where the cache and the database disagree (timestamps within a second agree)."""
    differences = []
    for name in keys.NPC_STATE_FIELDS:
        have, want = cached.get(name), expected.get(name)
        want_text = None if want is None else str(want)
        if name == "last_decision":
            have_at, want_at = keys.parse_timestamp(have), keys.parse_timestamp(want_text)
            same = (have_at is None and want_at is None) or (
                have_at is not None and want_at is not None and abs((have_at - want_at).total_seconds()) < 1)
            if not same:
                differences.append(StateDifference(name, when_text(have_at) or have, when_text(want_at)))
            continue
        if (have or None) != want_text:
            differences.append(StateDifference(name, have, want_text))
    return differences


def when_text(moment: dt.datetime | None) -> str | None:
    """How the runtime pages write a moment (the cached value and the database's alike)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else None


def cached_state_text(field: str, value: str | None) -> str | None:
    """A cached `npc:state` field as a person reads it: `last_decision` (epoch seconds or ISO
    in Redis) as a date like the database's beside it; others as stored."""
    if field == "last_decision" and value is not None:
        return when_text(keys.parse_timestamp(value)) or value
    return value


@dataclass(frozen=True)
class NPCRuntimeRow:
    npc_id: int
    name: str | None
    active_since: dt.datetime | None
    world_id: str | None
    cached: dict[str, str]
    differences: list[StateDifference]

    @property
    def different_fields(self) -> set[str]:
        return {d.field for d in self.differences}


def npc_runtime_rows(active: dict[int, dt.datetime | None], states: dict[int, dict[str, str]]) -> list[NPCRuntimeRow]:
    """One row per NPC that is active or has a cached state, with the cache/database diff.
    Two queries whatever the number of NPCs."""
    ids = set(active) | set(states)
    world_states = {ws.npc_id: ws for ws in world_states_for_cache(npc_ids=ids)}
    names = npc_names(ids - set(world_states)) | {i: ws.npc.name for i, ws in world_states.items()}
    rows = []
    for npc_id in ids:
        cached = states.get(npc_id, {})
        world_state = world_states.get(npc_id)
        differences = state_differences(cached, expected_npc_state(world_state)) if cached and world_state else []
        rows.append(NPCRuntimeRow(npc_id=npc_id, name=names.get(npc_id), active_since=active.get(npc_id),
                                  world_id=world_state.world_id if world_state else None,
                                  cached=cached, differences=differences))
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (r.active_since or epoch, -r.npc_id), reverse=True)
    return rows


def nav_count_queued() -> tuple[int, str]:
    """The dashboard's Runtime card: decisions waiting in the engine's queues (one pipelined read)."""
    from npcs.runtime.sync import SyncRuntime

    depths = SyncRuntime().queue_depths()
    return sum(d.depth for d in depths), "decisions queued"
