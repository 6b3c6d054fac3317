"""The engine's Redis runtime, as an async client (redis.asyncio, like the seed's).

`RuntimeClient` reads and writes the seed's keys with the seed's value formats and TTLs, so it
and the seed's `NPCCacheManager` (which the engine runs) share one Redis. It keeps the seed's
method names and signatures and fixes its bugs (spec README item 7; `docs/runtime.md`):

- `check_llm_rate_limit` increments and sets the TTL in one Lua script, and gives a TTL back to
  a counter a crashed seed client left without one;
- `queue_decision` copies the caller's dict and adds a unique `_qid`, so identical decisions
  queued twice stay two members of the sorted set;
- `pop_next_decision()` without a priority takes the most urgent decision of every queue in one
  Lua script (lowest priority number first, oldest within it);
- `cache_npc_state` writes the fields it has, removes the ones that became unknown, and sets
  the TTL in the same transaction.

Works on Redis 6.2 and 7.x (no command newer than 6.2 is used).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import time
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from npcs.runtime import keys

# Errors that mean "Redis is down or too slow", as opposed to a bug or a wrong-type key.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError, RedisTimeoutError, OSError, asyncio.TimeoutError,
)


class RuntimeUnavailable(Exception):
    """Redis could not be reached (or did not answer in time)."""


# --- Lua scripts: each one is a single atomic step on the server ---------------------------
# INCR then EXPIRE in one step; a counter found without a TTL (left by the seed's non-atomic
# INCR/EXPIRE after a crash) gets one back, so no NPC can be blocked for ever.
RATE_LIMIT_LUA = """
local current = redis.call('INCR', KEYS[1])
if current == 1 or redis.call('TTL', KEYS[1]) == -1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return current
"""
# KEYS are the queues, most urgent first; the first non-empty one gives its oldest member.
POP_ANY_LUA = """
for _, key in ipairs(KEYS) do
  local popped = redis.call('ZPOPMIN', key, 1)
  if popped[1] then
    return {key, popped[1], popped[2]}
  end
end
return false
"""
# Move one member to another queue keeping its original queue time (its age is its place).
REQUEUE_LUA = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], score, ARGV[1])
return 1
"""
# Running average of the minute's latency, counters, and the hash's TTL, in one step.
METRICS_LUA = """
local total = redis.call('HINCRBY', KEYS[1], 'total', 1)
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSETNX', KEYS[1], ARGV[2], 0)
local avg = tonumber(redis.call('HGET', KEYS[1], 'avg_latency') or '0') or 0
local latency = tonumber(ARGV[3])
avg = avg + (latency - avg) / total
redis.call('HSET', KEYS[1], 'avg_latency', string.format('%.2f', avg))
redis.call('EXPIRE', KEYS[1], ARGV[4])
return total
"""

# Take one NPC off the runtime in one atomic step: every member of the decision queues (KEYS
# after the first two) whose `npc_id` is ARGV[1] moves to the parking sorted set KEYS[1]
# (member = {"priority": p, "member": <the raw member>}, score = its queue time), the parking
# set gets a TTL of ARGV[2] s, and `npc:state` / `npc:active` (KEYS[2], KEYS[3]) are deleted.
# It reads whole queues (O(queued decisions)); engines keep queues short, so this is a moment.
PARK_NPC_LUA = """
local parked = 0
for i = 4, #KEYS do
  local members = redis.call('ZRANGE', KEYS[i], 0, -1, 'WITHSCORES')
  local priority = string.match(KEYS[i], ':(%-?%d+)$')
  for j = 1, #members, 2 do
    local ok, decision = pcall(cjson.decode, members[j])
    if ok and type(decision) == 'table' and decision.npc_id ~= nil
       and tostring(decision.npc_id) == ARGV[1] then
      redis.call('ZREM', KEYS[i], members[j])
      redis.call('ZADD', KEYS[1], members[j + 1],
                 cjson.encode({priority = tonumber(priority), member = members[j]}))
      parked = parked + 1
    end
  end
end
if parked > 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
local removed = redis.call('DEL', KEYS[2], KEYS[3])
return {parked, removed}
"""

# One queue-depth sample per second whichever process's feed takes it (several workers watch
# the same Redis): added only if that second has none yet; older than the window trimmed.
DEPTH_SAMPLE_LUA = """
if redis.call('ZCOUNT', KEYS[1], ARGV[1], ARGV[1]) == 0 then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (tonumber(ARGV[1]) - tonumber(ARGV[3])))
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


# --- Value objects -----------------------------------------------------------------------
@dataclass(frozen=True)
class QueuedDecision:
    """One member of an `npc:decisions:{priority}` queue."""

    priority: int
    queued_at: dt.datetime
    decision: dict[str, Any]
    member: str  # the raw member, the identity needed to drop or requeue it

    @property
    def npc_id(self) -> int | None:
        value = self.decision.get("npc_id")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def qid(self) -> str | None:
        return self.decision.get("_qid")

    @property
    def payload(self) -> dict[str, Any]:
        """The decision as the engine queued it (without our `_qid`)."""
        return {k: v for k, v in self.decision.items() if k != "_qid"}

    def age_seconds(self, now: float | None = None) -> float:
        return max(0.0, (now or time.time()) - self.queued_at.timestamp())

    @classmethod
    def from_member(cls, priority: int, member: str, score: float) -> QueuedDecision:
        try:
            decision = json.loads(member)
        except (TypeError, ValueError):
            decision = None
        if not isinstance(decision, dict):
            decision = {"_unparsed": member}
        return cls(priority=priority, queued_at=dt.datetime.fromtimestamp(float(score), dt.UTC),
                   decision=decision, member=member)


@dataclass(frozen=True)
class QueueDepth:
    priority: int
    depth: int
    oldest_at: dt.datetime | None

    def oldest_age_seconds(self, now: float | None = None) -> float | None:
        if self.oldest_at is None:
            return None
        return max(0.0, (now or time.time()) - self.oldest_at.timestamp())


@dataclass(frozen=True)
class RateLimitWindow:
    npc_id: int
    count: int
    ttl: int  # seconds left in the window; -1 = no TTL (the seed's bug), -2 = gone


@dataclass(frozen=True)
class MinuteMetrics:
    minute: dt.datetime
    total: int = 0
    llm_used: int = 0
    rule_used: int = 0
    avg_latency: float | None = None


@dataclass
class DecisionMinutes:
    """Decisions per minute, and the `metrics:decisions:*` keys whose minute could not be read."""

    minutes: list[MinuteMetrics]
    unparsable: list[str] = field(default_factory=list)


@dataclass
class LLMCacheStats:
    entries: int = 0
    memory_bytes: int = 0
    memory_is_estimate: bool = False
    truncated: bool = False  # stopped counting at the scan limit
    ttl_buckets: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class KeySummary:
    """One key as the key browser lists it."""

    name: str
    type: str  # string, hash, list, set, zset, stream, ... ("none" once it is gone)
    ttl: float | None  # seconds left; None = persistent
    memory_bytes: int | None  # MEMORY USAGE (None when the server refuses it)
    size: int | None  # characters of a string, entries of a hash, list, set, zset or stream


@dataclass
class KeyPage:
    keys: list[KeySummary]
    cursor: int  # 0 = the scan is complete
    scanned_calls: int = 1


@dataclass
class KeyValue:
    """A key's value, truncated to what a page can show."""

    summary: KeySummary
    text: str | None = None  # a string
    # hash fields, list/set/zset members, stream entries: (name, value or None)
    items: list[tuple[str, str | None]] = field(default_factory=list)
    truncated: bool = False
    binary: bool = False  # not UTF-8: not shown


KEY_SIZE_COMMANDS = {"string": "STRLEN", "hash": "HLEN", "list": "LLEN", "set": "SCARD", "zset": "ZCARD",
                     "stream": "XLEN"}
STRING_SHOWN = 64 * 1024  # characters of a string value shown


TTL_BUCKETS: tuple[tuple[str, int], ...] = (
    ("< 5 min", 300), ("5–15 min", 900), ("15–30 min", 1800), ("30–60 min", 3601),
)


def _ttl_bucket(ttl: int) -> str:
    if ttl < 0:
        return "no TTL"
    for label, upper in TTL_BUCKETS:
        if ttl < upper:
            return label
    return "> 60 min"


def _state_value(value: Any) -> str | int | float | None:
    """A state field as the seed stores it (redis-py's str()); None means unknown."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return keys.timestamp_value(value)
    if isinstance(value, (int, float, str, bytes)):
        return value
    return str(value)


def _to_int(value: Any, default: int = 0) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _to_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class RuntimeClient:
    """Every key pattern of the seed, read and written with the seed's formats and TTLs."""

    def __init__(self, redis: aioredis.Redis):
        self.redis = redis
        self._rate_limit = redis.register_script(RATE_LIMIT_LUA)
        self._pop_any = redis.register_script(POP_ANY_LUA)
        self._requeue = redis.register_script(REQUEUE_LUA)
        self._metrics = redis.register_script(METRICS_LUA)
        self._depth_sample = redis.register_script(DEPTH_SAMPLE_LUA)

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 1.0) -> RuntimeClient:
        """A client whose every command fails fast (`timeout` seconds) when Redis is away."""
        return cls(aioredis.from_url(
            url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout,
            # One quick retry heals a connection Redis dropped (restart); no long back-off.
            retry=Retry(NoBackoff(), 1), health_check_interval=30,
        ))

    async def aclose(self) -> None:
        await self.redis.aclose()

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    # --- npc:state:{npc_id} ---------------------------------------------------------------
    async def cache_npc_state(self, npc_id: int, state: dict) -> None:
        """Cache an NPC's state (TTL 5 min). Missing or None values are not written, and a
        field that was known before but is unknown now is removed, so the hash never mixes
        snapshots; all in one transaction with the TTL."""
        key = keys.npc_state_key(npc_id)
        present = {}
        for name in keys.NPC_STATE_FIELDS:
            value = _state_value(state.get(name))
            if value is not None:
                present[name] = value
        absent = [name for name in keys.NPC_STATE_FIELDS if name not in present]
        async with self.redis.pipeline(transaction=True) as pipe:
            if present:
                pipe.hset(key, mapping=present)
                if absent:
                    pipe.hdel(key, *absent)
                pipe.expire(key, keys.NPC_STATE_TTL)
            else:
                pipe.delete(key)
            await pipe.execute()

    async def get_npc_state(self, npc_id: int) -> dict[str, str]:
        """The cached state hash as strings (the seed's return value); {} when not cached."""
        return await self.redis.hgetall(keys.npc_state_key(npc_id))

    async def npc_states(self, npc_ids: Iterable[int]) -> dict[int, dict[str, str]]:
        ids = list(npc_ids)
        if not ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for npc_id in ids:
                pipe.hgetall(keys.npc_state_key(npc_id))
            results = await pipe.execute()
        return {npc_id: state for npc_id, state in zip(ids, results, strict=True) if state}

    async def cached_npc_states(self, *, limit: int = 10_000) -> dict[int, dict[str, str]]:
        """Every cached `npc:state` hash, found by SCAN."""
        found = await self.scan_keys(keys.NPC_STATE.format(npc_id="*"), limit=limit)
        return await self.npc_states(i for i in map(keys.id_from_key, found) if i is not None)

    # --- npc:decisions:{priority} ---------------------------------------------------------
    async def queue_decision(self, npc_id: int, decision: dict, priority: int = keys.DEFAULT_PRIORITY) -> str:
        """Queue a decision (lower priority = sooner). The caller's dict is left alone; the
        member carries a unique `_qid`, so the same decision queued twice is two decisions.
        Returns the `_qid`."""
        member = await self.queue_decision_member(npc_id, decision, priority)
        return json.loads(member)["_qid"]

    async def queue_decision_member(self, npc_id: int, decision: dict, priority: int = keys.DEFAULT_PRIORITY) -> str:
        """`queue_decision`, returning the member as stored (what `drop` needs to remove exactly it)."""
        if isinstance(priority, bool) or not isinstance(priority, int) or priority not in keys.PRIORITIES:
            raise ValueError(f"priority must be one of {keys.PRIORITIES[0]}..{keys.PRIORITIES[-1]}, not {priority!r}")
        member = json.dumps({**decision, "npc_id": npc_id, "_qid": uuid.uuid4().hex}, default=str)
        await self.redis.zadd(keys.decisions_key(priority), {member: time.time()}, nx=True)
        return member

    async def pop_next(self, priorities: Iterable[int] | None = None) -> QueuedDecision | None:
        """Atomically take the most urgent decision: lowest priority number first, oldest
        within it."""
        order = sorted(set(priorities if priorities is not None else keys.PRIORITIES))
        if not order:
            return None
        result = await self._pop_any(keys=[keys.decisions_key(p) for p in order])
        if not result:
            return None
        key, member, score = result
        return QueuedDecision.from_member(int(key.rsplit(":", 1)[1]), member, float(score))

    async def pop_next_decision(self, priority: int | None = None) -> dict | None:
        """The seed's pop: with a priority, that queue only (as the seed); without, the most
        urgent of all queues. Returns the decision dict (with `npc_id`, without `_qid`)."""
        queued = await self.pop_next(None if priority is None else [priority])
        return queued.payload if queued else None

    async def queue_priorities(self) -> list[int]:
        """Priorities 1..10 plus any other queue found by SCAN (an engine may use its own)."""
        found = await self.scan_keys(keys.NPC_DECISIONS.format(priority="*"), limit=1000)
        extra = {p for p in map(keys.id_from_key, found) if p is not None}
        return sorted(set(keys.PRIORITIES) | extra)

    async def queue_depths(self, priorities: Iterable[int] | None = None) -> list[QueueDepth]:
        order = sorted(set(priorities if priorities is not None else keys.PRIORITIES))
        async with self.redis.pipeline(transaction=False) as pipe:
            for priority in order:
                pipe.zcard(keys.decisions_key(priority))
                pipe.zrange(keys.decisions_key(priority), 0, 0, withscores=True)
            results = await pipe.execute()
        depths = []
        for index, priority in enumerate(order):
            depth, oldest = results[2 * index], results[2 * index + 1]
            oldest_at = dt.datetime.fromtimestamp(float(oldest[0][1]), dt.UTC) if oldest else None
            depths.append(QueueDepth(priority=priority, depth=int(depth), oldest_at=oldest_at))
        return depths

    async def peek(self, priority: int, *, start: int = 0, count: int = 10) -> list[QueuedDecision]:
        """The next `count` decisions of a queue, in the order they will be popped."""
        if count <= 0:
            return []
        members = await self.redis.zrange(keys.decisions_key(priority), start, start + count - 1, withscores=True)
        return [QueuedDecision.from_member(priority, member, score) for member, score in members]

    async def requeue(self, member: str, *, from_priority: int, to_priority: int) -> bool:
        """Move one queued decision to another priority, keeping its queue time."""
        if to_priority not in keys.PRIORITIES:
            raise ValueError(f"unknown priority {to_priority!r}")
        if from_priority == to_priority:
            return bool(await self.redis.zscore(keys.decisions_key(from_priority), member) is not None)
        moved = await self._requeue(keys=[keys.decisions_key(from_priority), keys.decisions_key(to_priority)],
                                    args=[member])
        return bool(moved)

    async def drop(self, member: str, *, priority: int) -> bool:
        """Remove one queued decision; False when it was already gone (popped meanwhile)."""
        return bool(await self.redis.zrem(keys.decisions_key(priority), member))

    async def purge(self, priority: int, *, queued_up_to: float | None = None) -> int:
        """Empty a queue and return how many decisions were dropped. With `queued_up_to` (epoch
        seconds), only decisions queued up to then: what the operator saw when confirming."""
        key = keys.decisions_key(priority)
        if queued_up_to is None:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zcard(key)
                pipe.delete(key)
                count, _ = await pipe.execute()
            return int(count)
        return int(await self.redis.zremrangebyscore(key, "-inf", queued_up_to))

    async def newest_score(self, priority: int) -> float | None:
        """Queue time (exact score) of a queue's newest decision: the bound of a confirmed purge."""
        newest = await self.redis.zrange(keys.decisions_key(priority), -1, -1, withscores=True)
        return float(newest[0][1]) if newest else None

    async def decisions_of_npc(self, npc_id: int) -> list[QueuedDecision]:
        """Every queued decision of one NPC (ZSCAN over each queue)."""
        found = []
        for priority in await self.queue_priorities():
            async for member, score in self.redis.zscan_iter(keys.decisions_key(priority), count=500):
                queued = QueuedDecision.from_member(priority, member, score)
                if queued.npc_id == int(npc_id):
                    found.append(queued)
        return found

    # --- npc:active:{npc_id} --------------------------------------------------------------
    async def touch_active(self, npc_id: int, at: dt.datetime | float | None = None) -> None:
        """Mark an NPC active (TTL 10 min); the value is the epoch timestamp of the activity."""
        await self.redis.set(keys.active_key(npc_id), keys.timestamp_value(at), ex=keys.NPC_ACTIVE_TTL)

    async def active_npcs(self, *, limit: int = 10_000) -> dict[int, dt.datetime | None]:
        """NPCs with an `npc:active` key and the moment of their last activity."""
        found = await self.scan_keys(keys.NPC_ACTIVE.format(npc_id="*"), limit=limit)
        result: dict[int, dt.datetime | None] = {}
        for chunk_start in range(0, len(found), 500):
            chunk = found[chunk_start:chunk_start + 500]
            values = await self.redis.mget(chunk)
            for key, value in zip(chunk, values, strict=True):
                npc_id = keys.id_from_key(key)
                if npc_id is not None and value is not None:
                    result[npc_id] = keys.parse_timestamp(value)
        return result

    # --- ratelimit:llm:{npc_id} -----------------------------------------------------------
    async def check_llm_rate_limit(self, npc_id: int, max_per_minute: int = keys.RATELIMIT_LLM_DEFAULT_MAX) -> bool:
        """Count an LLM call and say whether it is allowed (fixed 60 s window, as the seed)."""
        current = await self._rate_limit(keys=[keys.ratelimit_key(npc_id)], args=[keys.RATELIMIT_LLM_TTL])
        return int(current) <= max_per_minute

    async def rate_limits(self, *, limit: int = 10_000) -> list[RateLimitWindow]:
        """Every open rate-limit window, busiest first."""
        found = await self.scan_keys(keys.RATELIMIT_LLM.format(npc_id="*"), limit=limit)
        windows = []
        for chunk_start in range(0, len(found), 500):
            chunk = found[chunk_start:chunk_start + 500]
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in chunk:
                    pipe.get(key)
                    pipe.ttl(key)
                results = await pipe.execute()
            for index, key in enumerate(chunk):
                count, ttl = results[2 * index], results[2 * index + 1]
                npc_id = keys.id_from_key(key)
                if npc_id is not None and count is not None:
                    windows.append(RateLimitWindow(npc_id=npc_id, count=_to_int(count), ttl=int(ttl)))
        windows.sort(key=lambda w: (-w.count, w.npc_id))
        return windows

    async def reset_rate_limit(self, npc_id: int) -> bool:
        return bool(await self.redis.delete(keys.ratelimit_key(npc_id)))

    # --- llm:response:{hash} --------------------------------------------------------------
    async def cache_llm_response(self, prompt_hash: str, response: Any) -> None:
        """Cache an LLM response for an hour; the value is a JSON string."""
        value = response if isinstance(response, str) else json.dumps(response, default=str)
        await self.redis.set(keys.llm_response_key(prompt_hash), value, ex=keys.LLM_RESPONSE_TTL)

    async def get_llm_response(self, prompt_hash: str) -> Any:
        value = await self.redis.get(keys.llm_response_key(prompt_hash))
        if value is None:
            return None
        try:
            return json.loads(value)
        except ValueError:
            return value

    async def llm_cache_stats(self, *, limit: int = 20_000, memory_sample: int = 200) -> LLMCacheStats:
        """Entries, memory (MEMORY USAGE, extrapolated from a sample) and TTL distribution."""
        found = await self.scan_keys(keys.LLM_RESPONSE.format(hash="*"), limit=limit + 1)
        stats = LLMCacheStats(truncated=len(found) > limit)
        found = found[:limit]
        stats.entries = len(found)
        buckets = {label: 0 for label, _ in TTL_BUCKETS} | {"> 60 min": 0, "no TTL": 0}
        sample = found[:memory_sample]
        for chunk_start in range(0, len(found), 1000):
            chunk = found[chunk_start:chunk_start + 1000]
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in chunk:
                    pipe.ttl(key)
                ttls = await pipe.execute()
            for ttl in ttls:
                if ttl != -2:
                    buckets[_ttl_bucket(int(ttl))] += 1
        if sample:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in sample:
                    pipe.memory_usage(key)
                usages = [u or 0 for u in await pipe.execute()]
            stats.memory_bytes = int(sum(usages) / len(sample) * len(found))
            stats.memory_is_estimate = len(sample) < len(found)
        stats.ttl_buckets = buckets
        return stats

    async def flush_llm_cache(self, *, dry_run: bool = False) -> int:
        """Delete every cached LLM response (SCAN + UNLINK in batches, never KEYS)."""
        deleted = 0
        batch: list[str] = []
        async for key in self.redis.scan_iter(match=keys.LLM_RESPONSE.format(hash="*"), count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += len(batch) if dry_run else await self.redis.unlink(*batch)
                batch = []
        if batch:
            deleted += len(batch) if dry_run else await self.redis.unlink(*batch)
        return deleted

    # --- metrics:decisions:{minute} -------------------------------------------------------
    async def record_decision(self, *, used_llm: bool, latency_ms: float,
                              at: dt.datetime | float | None = None) -> int:
        """Count a decision in its minute (total, llm_used or rule_used, running avg_latency)."""
        counter, other = ("llm_used", "rule_used") if used_llm else ("rule_used", "llm_used")
        total = await self._metrics(keys=[keys.metrics_key(at)],
                                    args=[counter, other, float(latency_ms), keys.METRICS_DECISIONS_TTL])
        return int(total)

    async def decision_minutes(self, minutes: int = 60, *, now: dt.datetime | None = None,
                               limit: int = 10_000) -> DecisionMinutes:
        """The last `minutes` minutes, oldest first, read from every `metrics:decisions:*` key.

        The keys are found by SCAN, so a minute the engine wrote in any format `keys.parse_minute`
        reads (ours, epoch minutes or seconds, ISO) counts; two keys of one minute (two writers,
        two formats) add up, `avg_latency` weighted by each key's `total`. Minutes without a key
        count zero. Keys whose minute cannot be read are returned in `unparsable`, never dropped
        silently.
        """
        newest = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(second=0, microsecond=0)
        oldest = newest - dt.timedelta(minutes=minutes - 1)
        prefix = keys.METRICS_DECISIONS.format(minute="")
        found = await self.scan_keys(keys.METRICS_DECISIONS.format(minute="*"), limit=limit)
        wanted, unparsable = [], []
        for key in found:
            minute = keys.parse_minute(key[len(prefix):])
            if minute is None:
                unparsable.append(key)
            elif oldest <= minute <= newest:
                wanted.append((key, minute))
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, _ in wanted:
                pipe.hgetall(key)
            results = await pipe.execute(raise_on_error=False) if wanted else []  # a wrong-type key is skipped
        sums: dict[dt.datetime, list[float]] = {}
        for (_, minute), values in zip(wanted, results, strict=True):
            if not isinstance(values, dict):
                continue
            total, latency = _to_int(values.get("total")), _to_float(values.get("avg_latency"))
            bucket = sums.setdefault(minute, [0, 0, 0, 0.0, 0])
            bucket[0] += total
            bucket[1] += _to_int(values.get("llm_used"))
            bucket[2] += _to_int(values.get("rule_used"))
            if latency is not None and total:
                bucket[3] += latency * total
                bucket[4] += total
        series = []
        for back in range(minutes - 1, -1, -1):
            minute = newest - dt.timedelta(minutes=back)
            total, llm, rule, latency_sum, weight = sums.get(minute, [0, 0, 0, 0.0, 0])
            series.append(MinuteMetrics(minute=minute, total=int(total), llm_used=int(llm), rule_used=int(rule),
                                        avg_latency=round(latency_sum / weight, 2) if weight else None))
        return DecisionMinutes(minutes=series, unparsable=sorted(unparsable))

    async def decisions_per_minute(self, minutes: int = 60, *, now: dt.datetime | None = None) -> list[MinuteMetrics]:
        """The last `minutes` minutes, oldest first (`decision_minutes` without the unreadable keys)."""
        return (await self.decision_minutes(minutes, now=now)).minutes

    # --- npcadmin:runtime:queue_depth (ours: the feed's samples) -------------------------
    async def record_queue_depths(self, at: float, depths: dict[int, int]) -> None:
        """Keep the depth of each standard queue at second `at` (one sample per second however
        many processes call this; the last hour is kept)."""
        second = int(at)
        member = f"{second}:" + ",".join(str(int(depths.get(p, 0))) for p in keys.PRIORITIES)
        await self._depth_sample(keys=[keys.QUEUE_DEPTH_HISTORY],
                                 args=[second, member, keys.QUEUE_DEPTH_HISTORY_SECONDS])

    async def queue_depth_history(self, *, seconds: int = keys.QUEUE_DEPTH_HISTORY_SECONDS,
                                  now: float | None = None) -> list[tuple[int, dict[int, int]]]:
        """The sampled depths of the last `seconds`, oldest first: (epoch second, {priority: depth})."""
        since = int(now or time.time()) - seconds
        found = []
        for member in await self.redis.zrangebyscore(keys.QUEUE_DEPTH_HISTORY, since, "+inf"):
            second, _, values = member.partition(":")
            try:
                depths = [int(v) for v in values.split(",")]
                found.append((int(second), dict(zip(keys.PRIORITIES, depths, strict=False))))
            except ValueError:
                continue
        return found

    # --- Any key (the key browser) --------------------------------------------------------
    async def browse_keys(self, pattern: str, *, cursor: int = 0, count: int = 100,
                          max_calls: int = 10) -> KeyPage:
        """A page of keys matching `pattern` by SCAN (never KEYS): SCAN `cursor` ... COUNT
        `count`, repeated at most `max_calls` times until `count` keys were found, so one page
        examines at most `count * max_calls` keys whatever the size of the keyspace."""
        found: list[str] = []
        calls = 0
        while True:
            cursor, names = await self.redis.scan(cursor=cursor, match=pattern, count=count)
            cursor, calls = int(cursor), calls + 1
            found.extend(names)
            if cursor == 0 or len(found) >= count or calls >= max_calls:
                break
        return KeyPage(keys=await self.key_summaries(sorted(set(found))), cursor=cursor, scanned_calls=calls)

    async def key_summaries(self, names: list[str]) -> list[KeySummary]:
        """Type, TTL, MEMORY USAGE and size of each key, in two pipelines."""
        if not names:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.type(name)
                pipe.pttl(name)
                pipe.memory_usage(name)
            first = await pipe.execute(raise_on_error=False)
        types = [str(t) if not isinstance(t, Exception) else "unknown" for t in first[0::3]]
        async with self.redis.pipeline(transaction=False) as pipe:
            sized = [(n, t) for n, t in zip(names, types, strict=True) if t in KEY_SIZE_COMMANDS]
            for name, kind in sized:
                pipe.execute_command(KEY_SIZE_COMMANDS[kind], name)
            results = await pipe.execute(raise_on_error=False) if sized else []
        sizes = dict(zip((n for n, _ in sized), results, strict=True))
        summaries = []
        for index, name in enumerate(names):
            pttl, memory = first[3 * index + 1], first[3 * index + 2]
            size = sizes.get(name)
            summaries.append(KeySummary(
                name=name, type=types[index],
                ttl=pttl / 1000 if isinstance(pttl, int) and pttl >= 0 else None,
                memory_bytes=memory if isinstance(memory, int) else None,
                size=size if isinstance(size, int) else None))
        return summaries

    async def key_value(self, name: str, *, limit: int = 100) -> KeyValue | None:
        """A key's value for the key browser: a string's first 64 KiB, the first `limit`
        entries of a hash, list, set, sorted set (by score) or stream (newest first). None if
        the key does not exist."""
        (summary,) = await self.key_summaries([name])
        if summary.type == "none":
            return None
        value = KeyValue(summary=summary)
        try:
            if summary.type == "string":
                value.text = await self.redis.getrange(name, 0, STRING_SHOWN - 1)
                value.truncated = (summary.size or 0) > STRING_SHOWN
            elif summary.type == "hash":
                value.items = sorted((await self._scan_items(self.redis.hscan, name, limit)).items())
            elif summary.type == "list":
                value.items = [(str(i), v) for i, v in enumerate(await self.redis.lrange(name, 0, limit - 1))]
            elif summary.type == "set":
                value.items = [(m, None) for m in sorted(await self._scan_items(self.redis.sscan, name, limit))]
            elif summary.type == "zset":
                value.items = [(m, repr(score)) for m, score in await self.redis.zrange(name, 0, limit - 1,
                                                                                        withscores=True)]
            elif summary.type == "stream":
                value.items = [(entry_id, json.dumps(fields, ensure_ascii=False))
                               for entry_id, fields in await self.redis.xrevrange(name, count=limit)]
        except UnicodeDecodeError:
            return KeyValue(summary=summary, binary=True)
        if summary.type != "string":
            value.truncated = (summary.size or 0) > len(value.items)
        return value

    @staticmethod
    async def _scan_items(scan, name: str, limit: int):
        """HSCAN/SSCAN until `limit` entries (a cursor walk: never the whole value at once)."""
        cursor, found = 0, None
        while True:
            cursor, page = await scan(name, cursor=cursor, count=limit)
            found = page if found is None else (found | page if isinstance(page, dict) else found + page)
            if not cursor or len(found) >= limit:
                break
        if isinstance(found, dict):
            return dict(list(found.items())[:limit])
        return list(dict.fromkeys(found))[:limit]

    async def delete_key(self, name: str) -> bool:
        """Delete any key (UNLINK: freed in the background, never blocking the engine)."""
        return bool(await self.redis.unlink(name))

    # --- Whole-NPC and whole-keyspace operations ------------------------------------------
    async def forget_npc(self, npc_id: int, *, dry_run: bool = False) -> dict[str, int]:
        """Remove one NPC's state, active mark, rate-limit window and queued decisions."""
        single = [keys.npc_state_key(npc_id), keys.active_key(npc_id), keys.ratelimit_key(npc_id)]
        queued = await self.decisions_of_npc(npc_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in single:
                pipe.exists(key)
            exists = await pipe.execute()
        counts = {"state": exists[0], "active": exists[1], "ratelimit": exists[2], "decisions": len(queued)}
        if not dry_run:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(*single)
                for item in queued:
                    pipe.zrem(keys.decisions_key(item.priority), item.member)
                results = await pipe.execute()
            counts["decisions"] = sum(int(r) for r in results[1:])
        return counts

    async def park_npc(self, npc_id: int) -> dict[str, int]:
        """Stop the engine seeing an NPC (paused, deactivated, deleted) in one atomic script: its
        queued decisions move to `npcadmin:parked:{npc_id}` (kept 7 days, for inspection), its
        `npc:state` and `npc:active` keys go. Returns {"parked": n, "keys_removed": m}."""
        queues = sorted(set(await self.queue_priorities()) | set(keys.PRIORITIES))
        result = await self.redis.eval(
            PARK_NPC_LUA, 3 + len(queues), keys.parked_key(npc_id), keys.npc_state_key(npc_id),
            keys.active_key(npc_id), *(keys.decisions_key(p) for p in queues), str(int(npc_id)), keys.PARKED_TTL)
        return {"parked": int(result[0]), "keys_removed": int(result[1])}

    async def parked_decisions(self, npc_id: int) -> list[QueuedDecision]:
        """The decisions `park_npc` took off the queues, oldest first."""
        found = []
        for raw, score in await self.redis.zrange(keys.parked_key(npc_id), 0, -1, withscores=True):
            item = json.loads(raw)
            found.append(QueuedDecision.from_member(int(item["priority"]), item["member"], score))
        return found

    async def publish_change(self, message: dict) -> int:
        """Publish a console change on `npcadmin:changes` (the engine's subscribers); returns receivers."""
        return int(await self.redis.publish(keys.CHANGES_CHANNEL, json.dumps(message, separators=(",", ":"))))

    async def scan_keys(self, pattern: str, *, limit: int = 10_000) -> list[str]:
        """Keys matching a pattern, by SCAN (never KEYS), at most `limit` of them."""
        found: list[str] = []
        async for key in self.redis.scan_iter(match=pattern, count=1000):
            found.append(key)
            if len(found) >= limit:
                break
        return found

    async def server_info(self) -> dict[str, Any]:
        info = await self.redis.info("server")
        memory = await self.redis.info("memory")
        return {"version": info.get("redis_version"), "used_memory": memory.get("used_memory"),
                "used_memory_human": memory.get("used_memory_human")}


# --- One client per event loop and URL ---------------------------------------------------
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, RuntimeClient]] = weakref.WeakKeyDictionary()
_clients_pid = os.getpid()


def runtime_url() -> str:
    from django.conf import settings

    return settings.NPCADMIN_RUNTIME_REDIS_URL


def runtime_timeout() -> float:
    from django.conf import settings

    return float(getattr(settings, "NPCADMIN_RUNTIME_REDIS_TIMEOUT", 1.0))


def get_client(url: str | None = None) -> RuntimeClient:
    """The client of the running event loop for `url` (default: the runtime Redis setting).

    redis.asyncio connections belong to the loop that opened them, hence one per loop."""
    global _clients, _clients_pid
    if os.getpid() != _clients_pid:  # a forked child must not share its parent's sockets
        _clients, _clients_pid = weakref.WeakKeyDictionary(), os.getpid()
    loop = asyncio.get_running_loop()
    url = url or runtime_url()
    per_loop = _clients.setdefault(loop, {})
    if url not in per_loop:
        per_loop[url] = RuntimeClient.from_url(url, timeout=runtime_timeout())
    return per_loop[url]
