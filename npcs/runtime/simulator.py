"""An engine simulator: plays the NPC engine against the runtime Redis so the live page moves.

N NPCs think in turns: each turn marks the NPC active, refreshes its `npc:state` now and then,
and queues a decision at a realistic priority. Workers pop the most urgent decision, "execute"
it (an LLM call for strategic and diplomatic ones when the rate limiter allows and the LLM
cache misses, rules otherwise) and record it in the minute's metrics. The thinking rate rises
and falls in waves, so the queues fill and drain while you watch.

Bounded by time and by decision count; stops cleanly on SIGINT/SIGTERM. `benchmark=True`
removes every pause to measure sustained operations per second.

It never touches the engine's data (docs/runtime.md, "Simulating the engine"):
- its NPCs have **negative ids** (-1, -2, ...), which no `npcs.id` can be, so its `npc:state`,
  `npc:active` and `ratelimit:llm` keys are its own; its queued decisions carry
  `"simulated": true` and a negative `npc_id`; its LLM prompts start with `sim:`;
- it executes only the decisions it queued (it removes each by its exact member), never the
  engine's;
- what it adds to a shared `metrics:decisions:{minute}` and every key it makes are written down
  in a ledger (`npcadmin:sim:*`), so `clean_up` takes back exactly that;
- `engine_keys` lists what in Redis is not the simulator's: the command refuses to run when
  there is any, unless told the Redis is live on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import signal
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from npcs.runtime import keys
from npcs.runtime.client import RuntimeClient

# (priority, weight, decision type, action): urgent defence is rare, economy is the bulk.
DECISION_MIX: tuple[tuple[int, int, str, str], ...] = (
    (1, 3, "military", "defend_village"),
    (2, 7, "tactical", "dodge_attack"),
    (3, 10, "military", "train_troops"),
    (4, 10, "military", "send_raid"),
    (5, 35, "building", "upgrade_building"),
    (6, 12, "economic", "trade_resources"),
    (7, 8, "diplomatic", "send_message"),
    (8, 7, "expansion", "found_village"),
    (9, 5, "strategic", "review_strategy"),
    (10, 3, "strategic", "long_term_plan"),
)
LLM_TYPES = {"strategic", "diplomatic", "tactical"}
LEDGER_KEYS = "npcadmin:sim:keys"  # set: every single-value key the simulator made
LEDGER_METRICS = "npcadmin:sim:metrics"  # hash: "<metrics key>|<field>" -> what the simulator added there
PROMPT_PREFIX = "sim:"

# Take back the simulator's share of one metrics minute: counts, and the running mean without
# its latencies; the key goes when nothing else was counted in it.
UNCOUNT_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local total = tonumber(redis.call('HGET', KEYS[1], 'total') or '0') or 0
local avg = tonumber(redis.call('HGET', KEYS[1], 'avg_latency') or '0') or 0
local left = total - tonumber(ARGV[1])
if left <= 0 then redis.call('DEL', KEYS[1]) return 1 end
redis.call('HINCRBY', KEYS[1], 'total', -tonumber(ARGV[1]))
redis.call('HINCRBY', KEYS[1], 'llm_used', -tonumber(ARGV[2]))
redis.call('HINCRBY', KEYS[1], 'rule_used', -tonumber(ARGV[3]))
local rest = (avg * total - tonumber(ARGV[4])) / left
if rest < 0 then rest = 0 end
redis.call('HSET', KEYS[1], 'avg_latency', string.format('%.2f', rest))
return 2
"""


def simulated_npc_ids(count: int) -> list[int]:
    """The simulator's NPCs: -1, -2, ... (a serial `npcs.id` is never negative)."""
    return [-(n + 1) for n in range(count)]


def is_simulated_member(member: str) -> bool:
    """A queued decision the simulator made: `"simulated": true` and a negative `npc_id`."""
    try:
        decision = json.loads(member)
    except ValueError:
        return False
    if not isinstance(decision, dict):
        return False
    npc_id = decision.get("npc_id")
    return decision.get("simulated") is True and type(npc_id) is int and npc_id < 0


def _own_id_keys() -> tuple[str, ...]:
    return (keys.NPC_STATE.format(npc_id="*"), keys.NPC_ACTIVE.format(npc_id="*"),
            keys.RATELIMIT_LLM.format(npc_id="*"))


async def engine_keys(client: RuntimeClient, *, limit: int = 10_000) -> Counter:
    """What Redis holds that is not the simulator's, by key pattern (empty: nothing of the engine's)."""
    made = set(await client.redis.smembers(LEDGER_KEYS))
    ledger = await client.redis.hgetall(LEDGER_METRICS)
    found: Counter = Counter()
    for pattern in _own_id_keys():
        for key in await client.scan_keys(pattern, limit=limit):
            npc_id = keys.id_from_key(key)
            if npc_id is None or npc_id >= 0:
                found[pattern] += 1
    for key in await client.scan_keys(keys.LLM_RESPONSE.format(hash="*"), limit=limit):
        if key not in made:
            found[keys.LLM_RESPONSE.format(hash="*")] += 1
    for key in await client.scan_keys(keys.METRICS_DECISIONS.format(minute="*"), limit=limit):
        try:
            total = int(await client.redis.hget(key, "total") or 0)
        except Exception:  # noqa: BLE001 - a key of another type is not ours either
            total = -1
        if total < 0 or total > int(ledger.get(f"{key}|total", 0)):
            found[keys.METRICS_DECISIONS.format(minute="*")] += 1
    for priority in await client.queue_priorities():
        key = keys.decisions_key(priority)
        try:
            async for member, _ in client.redis.zscan_iter(key, count=500):
                if not is_simulated_member(member):
                    found[keys.NPC_DECISIONS.format(priority="*")] += 1
        except Exception:  # noqa: BLE001
            found[keys.NPC_DECISIONS.format(priority="*")] += 1
    return found


async def clean_up(client: RuntimeClient, *, dry_run: bool = False) -> dict[str, int]:
    """Remove what the simulator made, and only that: its keys, its queued decisions, its share of metrics."""
    made = set(await client.redis.smembers(LEDGER_KEYS))
    for pattern in _own_id_keys():  # also what a lost ledger would not name: negative ids are ours
        made |= {k for k in await client.scan_keys(pattern) if (keys.id_from_key(k) or 0) < 0}
    existing = [k for k in made if await client.redis.exists(k)]
    members = []
    for priority in await client.queue_priorities():
        async for member, _ in client.redis.zscan_iter(keys.decisions_key(priority), count=500):
            if is_simulated_member(member):
                members.append((priority, member))
    ledger = await client.redis.hgetall(LEDGER_METRICS)
    shares: dict[str, dict[str, float]] = {}
    for field_name, value in ledger.items():
        key, _, what = field_name.rpartition("|")
        shares.setdefault(key, {})[what] = float(value)
    report = {"keys": len(existing), "decisions": len(members), "metrics_minutes": len(shares),
              "metrics_decisions": int(sum(s.get("total", 0) for s in shares.values()))}
    if dry_run:
        return report
    if existing:
        await client.redis.delete(*existing)
    for priority, member in members:
        await client.drop(member, priority=priority)
    uncount = client.redis.register_script(UNCOUNT_LUA)
    for key, share in shares.items():
        await uncount(keys=[key], args=[int(share.get("total", 0)), int(share.get("llm_used", 0)),
                                        int(share.get("rule_used", 0)), share.get("latency_sum", 0.0)])
    await client.redis.delete(LEDGER_KEYS, LEDGER_METRICS)
    return report
PROMPT_VARIANTS = 40  # few distinct prompts per type, so the LLM cache gets hits


@dataclass
class SimulationStats:
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    operations: int = 0
    queued: int = 0
    executed: int = 0
    llm_calls: int = 0
    llm_cache_hits: int = 0
    rate_limited: int = 0
    taken_by_others: int = 0  # decisions of ours the engine popped before we did
    by_priority: Counter = field(default_factory=Counter)

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def operations_per_second(self) -> float:
        return self.operations / self.elapsed if self.elapsed else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"seconds": round(self.elapsed, 2), "operations": self.operations,
                "operations_per_second": round(self.operations_per_second, 1), "queued": self.queued,
                "executed": self.executed, "llm_calls": self.llm_calls, "llm_cache_hits": self.llm_cache_hits,
                "rate_limited": self.rate_limited, "taken_by_others": self.taken_by_others,
                "by_priority": dict(sorted(self.by_priority.items()))}


@dataclass
class NPCPlayer:
    npc_id: int
    villages: int = 1
    population: int = 100
    rank: int | None = None
    offensive_power: int = 0
    strategy: str = "economic"

    def grow(self, rng: random.Random) -> dict[str, Any]:
        self.population += rng.randint(0, 25)
        self.offensive_power += rng.randint(0, 60)
        if rng.random() < 0.01:
            self.villages += 1
        if self.rank is not None:
            self.rank = max(1, self.rank + rng.randint(-2, 2))
        if rng.random() < 0.05:
            self.strategy = rng.choice(["expansion", "military", "economic", "diplomatic"])
        return {"villages": self.villages, "population": self.population, "rank": self.rank,
                "offensive_power": self.offensive_power, "last_decision": time.time(),
                "current_strategy": self.strategy}


class EngineSimulator:
    def __init__(self, client: RuntimeClient, players: list[NPCPlayer], *, seconds: float = 60,
                 max_decisions: int = 0, rate: float = 20.0, workers: int = 4, llm_limit: int = 10,
                 benchmark: bool = False, seed: int | None = None,
                 report: Callable[[SimulationStats], None] | None = None):
        if not players:
            raise ValueError("the simulator needs at least one NPC")
        if any(p.npc_id >= 0 for p in players):
            raise ValueError("the simulator's NPCs have negative ids (simulated_npc_ids), never a real NPC's")
        self.client, self.players = client, players
        self.seconds, self.max_decisions = seconds, max_decisions
        self.rate, self.workers, self.llm_limit, self.benchmark = rate, workers, llm_limit, benchmark
        self.rng = random.Random(seed)
        self.report = report
        self.stats = SimulationStats()
        self.stop = asyncio.Event()
        self._weights = [w for _, w, _, _ in DECISION_MIX]
        self.pending: dict[int, deque[str]] = {p: deque() for p, *_ in DECISION_MIX}

    # --- the engine's two halves ---------------------------------------------------------
    async def think(self, player: NPCPlayer) -> None:
        """One NPC turn: active mark, sometimes a state refresh, one queued decision."""
        await self.client.touch_active(player.npc_id)
        self.stats.operations += 1
        if self.rng.random() < 0.3:
            await self.client.cache_npc_state(player.npc_id, player.grow(self.rng))
            self.stats.operations += 1
        priority, _, decision_type, action = self.rng.choices(DECISION_MIX, weights=self._weights)[0]
        member = await self.client.queue_decision_member(player.npc_id, {
            "type": decision_type, "action": action, "variant": self.rng.randrange(PROMPT_VARIANTS),
            "simulated": True,
        }, priority=priority)
        self.pending[priority].append(member)
        self.stats.operations += 1
        self.stats.queued += 1
        self.stats.by_priority[priority] += 1

    async def execute_next(self) -> bool:
        """Take the most urgent decision the simulator queued and execute it; False when it has none.

        Only its own: each is removed by its exact member (`drop`), so the engine's decisions in
        the same queues are never taken. One the engine took first is skipped.
        """
        priority = next((p for p in sorted(self.pending) if self.pending[p]), None)
        if priority is None:
            return False
        member = self.pending[priority].popleft()
        taken = await self.client.drop(member, priority=priority)
        self.stats.operations += 1
        if not taken:
            self.stats.taken_by_others += 1
            return True
        decision = json.loads(member)
        npc_id = decision["npc_id"]
        used_llm, latency = False, self.rng.uniform(2, 25)  # rules are fast
        if decision.get("type") in LLM_TYPES:
            allowed = await self.client.check_llm_rate_limit(npc_id, self.llm_limit)
            self.stats.operations += 1
            if allowed:
                prompt_hash = keys.llm_prompt_hash(
                    f"{PROMPT_PREFIX}{decision['type']}:{decision['action']}:{decision.get('variant')}")
                cached = await self.client.get_llm_response(prompt_hash)
                self.stats.operations += 1
                used_llm = True
                if cached is None:
                    latency = self.rng.uniform(300, 2500)
                    await self.client.cache_llm_response(prompt_hash, {"decision": decision["action"],
                                                                       "reasoning": "simulated"})
                    await self.client.redis.sadd(LEDGER_KEYS, keys.llm_response_key(prompt_hash))
                    self.stats.operations += 1
                    self.stats.llm_calls += 1
                else:
                    latency = self.rng.uniform(5, 40)
                    self.stats.llm_cache_hits += 1
            else:
                self.stats.rate_limited += 1
        if not self.benchmark:
            await asyncio.sleep(min(latency, 400) / 1000 / 4)  # execution takes a moment
        at = time.time()
        await self.client.record_decision(used_llm=used_llm, latency_ms=latency, at=at)
        metrics_key = keys.metrics_key(at)
        async with self.client.redis.pipeline(transaction=False) as pipe:  # the ledger of our share
            pipe.hincrby(LEDGER_METRICS, f"{metrics_key}|total", 1)
            pipe.hincrby(LEDGER_METRICS, f"{metrics_key}|{'llm_used' if used_llm else 'rule_used'}", 1)
            pipe.hincrbyfloat(LEDGER_METRICS, f"{metrics_key}|latency_sum", float(latency))
            await pipe.execute()
        self.stats.operations += 1
        self.stats.executed += 1
        return True

    # --- loops ---------------------------------------------------------------------------
    def _done(self) -> bool:
        return (self.stop.is_set() or self.stats.elapsed >= self.seconds
                or bool(self.max_decisions and self.stats.queued >= self.max_decisions))

    def current_rate(self) -> float:
        """Thinking rate in waves of 40 s between 30 % and 170 % of `rate`."""
        return self.rate * (1 + 0.7 * math.sin(2 * math.pi * self.stats.elapsed / 40))

    async def _producer(self) -> None:
        while not self._done():
            await self.think(self.rng.choice(self.players))
            if not self.benchmark:
                await asyncio.sleep(self.rng.expovariate(max(self.current_rate(), 0.1)))
            elif self.stats.queued % 64 == 0:
                await asyncio.sleep(0)

    async def _worker(self) -> None:
        while not self._done():
            if not await self.execute_next() and not self.benchmark:
                await asyncio.sleep(0.2)
            elif not self.benchmark:
                # capacity near the average rate: queues grow at the wave's crest, drain after it
                await asyncio.sleep(self.rng.expovariate(1.1 * self.rate / self.workers))

    async def _reporter(self) -> None:
        while not self._done():
            await asyncio.sleep(1)
            if self.report:
                self.report(self.stats)

    async def run(self) -> SimulationStats:
        # Written down before they exist: the clean-up removes them even after a crash.
        own = [k for p in self.players for k in (keys.npc_state_key(p.npc_id), keys.active_key(p.npc_id),
                                                  keys.ratelimit_key(p.npc_id))]
        await self.client.redis.sadd(LEDGER_KEYS, *own)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self.stop.set)
        producers = max(1, self.workers // 2) if self.benchmark else 1
        tasks = [asyncio.create_task(self._producer()) for _ in range(producers)]
        tasks += [asyncio.create_task(self._worker()) for _ in range(self.workers)]
        tasks.append(asyncio.create_task(self._reporter()))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(signum)
            self.stats.finished = time.monotonic()
        return self.stats
