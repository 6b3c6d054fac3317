"""Believable metric histories for NPCs, shaped by personality.

Aggressive and assassin NPCs grow their armies and raid (resources jump, production grows
slowly); economic ones grow production and stockpiles; diplomats grow their diplomatic score;
balanced ones a little of everything. Rank is recomputed at every step from population within
each world, so it moves as NPCs overtake each other. Deterministic for a given `rng_seed`.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from npcs.choices import Personality


@dataclass(frozen=True)
class Profile:
    production_growth: float  # per day
    army_growth: float  # per day
    population_growth: float  # per day
    diplomacy: float
    base_production: int
    base_army: int


PROFILES = {
    Personality.AGGRESSIVE: Profile(0.006, 0.060, 0.012, 0.25, 90, 1500),
    Personality.ASSASSIN: Profile(0.006, 0.050, 0.010, 0.35, 80, 1200),
    Personality.ECONOMIC: Profile(0.035, 0.008, 0.020, 0.50, 140, 300),
    Personality.DIPLOMAT: Profile(0.015, 0.012, 0.015, 0.90, 110, 400),
    Personality.BALANCED: Profile(0.018, 0.025, 0.015, 0.55, 110, 700),
}


@dataclass(frozen=True)
class MetricSubject:
    """An NPC to generate metrics for, in the one world its samples are attributed to."""

    npc_id: int
    world_id: str
    personality: str


def generate_rows(
    subjects: list[MetricSubject],
    *,
    start: datetime.datetime,
    end: datetime.datetime,
    interval: datetime.timedelta,
    rng_seed: int = 0,
    competitors: dict[str, list[int]] | None = None,
) -> Iterator[tuple]:
    """Rows in `analytics.storage.METRIC_COLUMNS` order, one per subject and step in [start, end).

    `competitors`: populations of the other NPCs of each world (their world states), which have no
    samples of their own here but take their place in the world's ranking, so a sample's rank is
    the rank the NPC would have among everyone in its world.
    """
    rng = random.Random(rng_seed)
    days_per_step = interval.total_seconds() / 86400
    states = []
    for subject in subjects:
        profile = PROFILES.get(subject.personality, PROFILES[Personality.BALANCED])
        scale = rng.uniform(0.6, 1.6)
        states.append({
            "subject": subject,
            "profile": profile,
            "production": profile.base_production * scale,
            "army": profile.base_army * scale,
            "population": rng.uniform(150, 900) * scale,
            "stock": rng.uniform(500, 3000),
            "phase": rng.uniform(0, 2 * math.pi),
        })
    worlds: dict[str, list[dict]] = {}
    for state in states:
        worlds.setdefault(state["subject"].world_id, []).append(state)

    moment = start
    step = 0
    while moment < end:
        hour_of_day = moment.hour + moment.minute / 60
        for members in worlds.values():
            for state in members:
                profile = state["profile"]
                noise = rng.gauss(0, 0.01)
                state["production"] *= 1 + profile.production_growth * days_per_step + noise * 0.2
                state["army"] *= 1 + profile.army_growth * days_per_step + noise
                state["population"] *= 1 + profile.population_growth * days_per_step
                state["stock"] += state["production"] * interval.total_seconds() / 3600
                # Builders spend what they store; raiders lose troops now and then in battle.
                if rng.random() < 0.08:
                    state["stock"] *= 0.35
                if profile.army_growth > 0.04 and rng.random() < 0.01:
                    state["army"] *= 0.8
            members.sort(key=lambda s: -s["population"])
            world = members[0]["subject"].world_id if members else None
            others = sorted((competitors or {}).get(world, ()), reverse=True)
            ahead = 0
            for position, state in enumerate(members, start=1):
                while ahead < len(others) and others[ahead] > state["population"]:
                    ahead += 1
                position += ahead
                subject, profile = state["subject"], state["profile"]
                production = state["production"]
                daily = 1 + 0.1 * math.sin(2 * math.pi * hour_of_day / 24 + state["phase"])
                stock = state["stock"]
                army = state["army"]
                offensive = int(army * (1.6 if profile.army_growth > 0.04 else 0.7))
                defensive = int(army * (0.6 if profile.army_growth > 0.04 else 1.3))
                yield (
                    moment, subject.npc_id, subject.world_id,
                    int(stock * 1.05), int(stock), int(stock * 0.8), int(stock * 0.6),
                    int(production * daily * 1.05), int(production * daily),
                    int(production * daily * 0.85), int(production * daily * 0.7),
                    offensive, defensive, int(army / 12),
                    position, int(state["population"]), 1 + int(state["population"] // 900),
                    round(min(1.0, 0.3 + production / 2000 + rng.uniform(-0.03, 0.03)), 3),
                    round(min(1.0, 0.2 + army / 30000 + rng.uniform(-0.03, 0.03)), 3),
                    round(min(1.0, max(0.0, profile.diplomacy + rng.uniform(-0.05, 0.05))), 3),
                )
        step += 1
        moment = start + step * interval


def subjects_for(npc_states) -> list[MetricSubject]:
    """One subject per NPC from (npc_id, world_id, personality) rows; an NPC keeps its first world.

    `npc_metrics` is keyed (time, npc_id): an NPC's samples can only come from one world at a time.
    """
    seen: dict[int, MetricSubject] = {}
    for npc_id, world_id, personality in npc_states:
        seen.setdefault(npc_id, MetricSubject(npc_id, world_id, personality))
    return list(seen.values())
