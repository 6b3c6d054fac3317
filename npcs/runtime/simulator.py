"""An engine simulator: plays the NPC engine against the runtime Redis so the live page moves.

N NPCs think in turns: each turn marks the NPC active, refreshes its `npc:state` now and then,
and queues a decision at a realistic priority. Workers pop the most urgent decision, "execute"
it (an LLM call for strategic and diplomatic ones when the rate limiter allows and the LLM
cache misses, rules otherwise) and record it in the minute's metrics. The thinking rate rises
and falls in waves, so the queues fill and drain while you watch.

Bounded by time and by decision count; stops cleanly on SIGINT/SIGTERM. `benchmark=True`
removes every pause to measure sustained operations per second.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import signal
import time
from collections import Counter
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
                "rate_limited": self.rate_limited, "by_priority": dict(sorted(self.by_priority.items()))}


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
        self.client, self.players = client, players
        self.seconds, self.max_decisions = seconds, max_decisions
        self.rate, self.workers, self.llm_limit, self.benchmark = rate, workers, llm_limit, benchmark
        self.rng = random.Random(seed)
        self.report = report
        self.stats = SimulationStats()
        self.stop = asyncio.Event()
        self._weights = [w for _, w, _, _ in DECISION_MIX]

    # --- the engine's two halves ---------------------------------------------------------
    async def think(self, player: NPCPlayer) -> None:
        """One NPC turn: active mark, sometimes a state refresh, one queued decision."""
        await self.client.touch_active(player.npc_id)
        self.stats.operations += 1
        if self.rng.random() < 0.3:
            await self.client.cache_npc_state(player.npc_id, player.grow(self.rng))
            self.stats.operations += 1
        priority, _, decision_type, action = self.rng.choices(DECISION_MIX, weights=self._weights)[0]
        await self.client.queue_decision(player.npc_id, {
            "type": decision_type, "action": action, "variant": self.rng.randrange(PROMPT_VARIANTS),
            "simulated": True,
        }, priority=priority)
        self.stats.operations += 1
        self.stats.queued += 1
        self.stats.by_priority[priority] += 1

    async def execute_next(self) -> bool:
        """Pop the most urgent decision and execute it; False when every queue is empty."""
        item = await self.client.pop_next()
        self.stats.operations += 1
        if item is None:
            return False
        decision = item.payload
        used_llm, latency = False, self.rng.uniform(2, 25)  # rules are fast
        if decision.get("type") in LLM_TYPES:
            allowed = await self.client.check_llm_rate_limit(item.npc_id or 0, self.llm_limit)
            self.stats.operations += 1
            if allowed:
                prompt_hash = keys.llm_prompt_hash(f"{decision['type']}:{decision['action']}:{decision.get('variant')}")
                cached = await self.client.get_llm_response(prompt_hash)
                self.stats.operations += 1
                used_llm = True
                if cached is None:
                    latency = self.rng.uniform(300, 2500)
                    await self.client.cache_llm_response(prompt_hash, {"decision": decision["action"],
                                                                       "reasoning": "simulated"})
                    self.stats.operations += 1
                    self.stats.llm_calls += 1
                else:
                    latency = self.rng.uniform(5, 40)
                    self.stats.llm_cache_hits += 1
            else:
                self.stats.rate_limited += 1
        if not self.benchmark:
            await asyncio.sleep(min(latency, 400) / 1000 / 4)  # execution takes a moment
        await self.client.record_decision(used_llm=used_llm, latency_ms=latency)
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
