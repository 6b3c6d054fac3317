"""Demo data for the world databases: villages for the demo NPCs, with NPC configurations and
build histories that fit each NPC's personality (aggressive NPCs run military villages that
build barracks and stables; economic ones farm and upgrade their resource fields).

`seed_demo()` is called by the project's `seed_demo` command after the global NPCs exist. It is
deterministic for a given `rng_seed`, idempotent (NPCs that already have villages in a world are
left alone; `reset=True` replaces them) and writes with bulk inserts.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from npcadmin import demo as demo_registry
from npcadmin.routers import world_db
from npcs.choices import Personality, Resource, Tribe
from npcs.models import NPC, NPCWorldState
from worlds.choices import RESOURCE_FIELDS, Building, BuildPhase, VillageType
from worlds.models import NPCBuildQueueHistory, NPCVillageConfig, Village

B = Building


@dataclass(frozen=True)
class Style:
    """How an NPC of one personality runs its villages."""

    village_types: tuple[str, ...]  # after the capital, in founding order
    focus: tuple[str, ...]  # buildings it builds most
    priority: tuple[str, str, str, str]  # resources, most wanted first
    template: str
    auto_raid: bool
    trains: bool


STYLES = {
    Personality.AGGRESSIVE: Style((VillageType.MILITARY, VillageType.MILITARY, VillageType.DEFENSIVE),
                                  (B.BARRACKS, B.STABLE, B.WORKSHOP, B.SMITHY, B.RALLY_POINT),
                                  ("iron", "wheat", "wood", "clay"), "offensive_rush", True, True),
    Personality.ASSASSIN: Style((VillageType.MILITARY, VillageType.MILITARY, VillageType.ECONOMIC),
                                (B.STABLE, B.ACADEMY, B.RALLY_POINT, B.SMITHY, B.BARRACKS),
                                ("iron", "wood", "clay", "wheat"), "cavalry_strike", True, True),
    Personality.ECONOMIC: Style((VillageType.ECONOMIC, VillageType.FARMING, VillageType.ECONOMIC),
                                (*RESOURCE_FIELDS, B.MARKETPLACE, B.WAREHOUSE, B.GRANARY),
                                ("wood", "clay", "wheat", "iron"), "resource_boom", False, False),
    Personality.BALANCED: Style((VillageType.ECONOMIC, VillageType.MILITARY, VillageType.DEFENSIVE),
                                (B.WAREHOUSE, B.GRANARY, B.BARRACKS, B.WOODCUTTER, B.CLAY_PIT, B.WALL),
                                ("wood", "clay", "iron", "wheat"), "steady_growth", False, True),
    Personality.DIPLOMAT: Style((VillageType.ECONOMIC, VillageType.DEFENSIVE, VillageType.FARMING),
                                (B.EMBASSY, B.MARKETPLACE, B.RESIDENCE, B.WALL, B.CROPLAND),
                                ("wheat", "wood", "clay", "iron"), "diplomatic_hub", False, True),
}
OFFENSIVE_UNITS = {Tribe.ROMANS: ("imperian", "equites_imperatoris"), Tribe.GAULS: ("swordsman", "theutates_thunder"),
                   Tribe.TEUTONS: ("clubswinger", "axeman", "teutonic_knight")}
DEFENSIVE_UNITS = {Tribe.ROMANS: ("legionnaire", "praetorian"), Tribe.GAULS: ("phalanx", "druidrider"),
                   Tribe.TEUTONS: ("spearman", "paladin")}
MILITARY_TYPES = {VillageType.MILITARY, VillageType.DEFENSIVE}
BASE_COST = {B.MAIN_BUILDING: 70, B.BARRACKS: 210, B.STABLE: 260, B.WORKSHOP: 460, B.ACADEMY: 220, B.SMITHY: 180,
             B.MARKETPLACE: 80, B.EMBASSY: 180, B.RESIDENCE: 580, B.WALL: 70, B.RALLY_POINT: 110}
HISTORY_DAYS = 14
MAX_VILLAGES_PER_NPC = 4
BATCH = 2000

Progress = Callable[[int], object]


@demo_registry.register
def seed_demo(*, npcs: Iterable[NPC] | None = None, reset: bool = False, rng_seed: int = 42,
              progress: Progress | None = None) -> dict[str, dict]:
    """Fill every configured world with villages, configs and build histories for `npcs`.

    `npcs`: the NPCs to seed (default: all); each gets villages in the worlds where it has an
    `npc_world_state` row, owned by that row's `player_id`. `progress(n)` is called after each
    world with the number of NPC states done (e.g. a tqdm bar's `update`). Returns per world the
    rows created, or `{"skipped": reason}`.
    """
    states = NPCWorldState.objects.filter(world_id__in=settings.NPCADMIN_WORLDS).select_related("npc")
    if npcs is not None:
        states = states.filter(npc_id__in=[n.pk for n in npcs])
    by_world: dict[str, list[NPCWorldState]] = {w: [] for w in settings.NPCADMIN_WORLDS}
    for state in states.order_by("world_id", "npc_id"):
        by_world[state.world_id].append(state)
    report = {}
    for world_id, world_states in by_world.items():
        if settings.NPCADMIN_VILLAGES_UNMANAGED:
            report[world_id] = {"skipped": "villages belong to a live game server (NPCADMIN_VILLAGES_UNMANAGED)"}
        else:
            report[world_id] = _seed_world(world_id, world_states, reset=reset, rng_seed=rng_seed)
        if progress is not None:
            progress(len(world_states))
    return report


def _seed_world(world_id: str, states: list[NPCWorldState], *, reset: bool, rng_seed: int) -> dict:
    villages_qs = Village.objects.in_world(world_id)
    player_ids = [s.player_id for s in states]
    with transaction.atomic(using=world_db(world_id)):
        if reset:
            npc_ids = [s.npc_id for s in states]
            NPCBuildQueueHistory.objects.in_world(world_id).filter(npc_id__in=npc_ids).delete()
            NPCVillageConfig.objects.in_world(world_id).filter(npc_id__in=npc_ids).delete()
            villages_qs.filter(player_id__in=player_ids).delete()  # the database cascades the rest
        seeded = set(villages_qs.filter(player_id__in=player_ids).values_list("player_id", flat=True).distinct())
        todo = [s for s in states if s.player_id not in seeded]
        occupied = set(villages_qs.values_list("x", "y"))
        now = timezone.now()
        plans = [_plan_npc(s, random.Random(f"{rng_seed}:{world_id}:{s.npc_id}"), occupied, now) for s in todo]
        villages = Village.objects.in_world(world_id).bulk_create(
            [v for plan in plans for v, _, _ in plan], batch_size=BATCH)
        configs, builds = [], []
        for village, (_, config, history) in zip(villages, (item for plan in plans for item in plan), strict=True):
            config.village = village
            configs.append(config)
            for build in history:
                build.village = village
            builds.extend(history)
        NPCVillageConfig.objects.in_world(world_id).bulk_create(configs, batch_size=BATCH)
        NPCBuildQueueHistory.objects.in_world(world_id).bulk_create(builds, batch_size=BATCH)
    return {"villages": len(villages), "configs": len(configs), "builds": len(builds),
            "npcs_already_seeded": len(seeded)}


def _plan_npc(state: NPCWorldState, rng: random.Random, occupied: set, now: datetime.datetime):
    """The NPC's villages in this world: [(village, config, build history)], capital first."""
    npc = state.npc
    style = STYLES[Personality(npc.personality)]
    count = max(1, min(MAX_VILLAGES_PER_NPC, state.village_count or 1))
    centre = (rng.randint(-150, 150), rng.randint(-150, 150))
    plan = []
    for index in range(count):
        village_type = VillageType.CAPITAL if index == 0 else style.village_types[(index - 1) % 3]
        x, y = _free_spot(centre, rng, occupied)
        name = f"{npc.name[:80]} · {'capital' if index == 0 else f'village {index + 1}'}"
        levels = {B.MAIN_BUILDING: rng.randint(1, 3), B.RALLY_POINT: 1, B.WAREHOUSE: 1, B.GRANARY: 1}
        for field in RESOURCE_FIELDS:
            levels[field] = rng.randint(0, 2)
        history = _history(state, style, village_type, levels, rng, now)
        village = _village(state, name, x, y, index == 0, village_type, levels, rng)
        config = NPCVillageConfig(
            npc_id=npc.pk, village_type=village_type, build_template_name=f"{style.template}_{village_type}",
            current_build_phase=_phase(sum(levels.values())), auto_build_enabled=True,
            next_scheduled_build=now + datetime.timedelta(minutes=rng.randint(5, 240)),
            build_queue_strategy={"max_queue": 2 if village_type == VillageType.CAPITAL else 1,
                                  "focus": [str(b) for b in style.focus[:3]],
                                  "min_resource_ratio": round(rng.uniform(0.2, 0.5), 2)},
            resource_priority={res: rank for rank, res in enumerate(style.priority, start=1)},
            warehouse_reserve=rng.choice((2000, 3000, 5000, 8000)) if style.trains else 5000,
            troop_training_enabled=style.trains or village_type in MILITARY_TYPES,
            training_queue_strategy=_training(npc.tribe, village_type, rng),
            auto_raid_enabled=style.auto_raid and village_type != VillageType.DEFENSIVE,
        )
        plan.append((village, config, history))
    return plan


def _free_spot(centre: tuple[int, int], rng: random.Random, occupied: set) -> tuple[int, int]:
    radius = 6
    while True:
        spot = (centre[0] + rng.randint(-radius, radius), centre[1] + rng.randint(-radius, radius))
        if spot not in occupied:
            occupied.add(spot)
            return spot
        radius += 1


def _phase(total_levels: int) -> str:
    if total_levels < 25:
        return BuildPhase.EARLY
    if total_levels < 60:
        return BuildPhase.MID
    return BuildPhase.LATE if total_levels < 110 else BuildPhase.ENDGAME


def _history(state, style: Style, village_type: str, levels: dict, rng: random.Random, now) -> list:
    """A fortnight of builds, mostly of the style's focus; the last one may still be running.

    `levels` is advanced in place, so the village's building levels agree with its history.
    """
    focus = list(style.focus)
    if village_type == VillageType.FARMING:
        focus = [B.CROPLAND, B.CROPLAND, B.GRANARY, *RESOURCE_FIELDS]
    elif village_type == VillageType.DEFENSIVE:
        focus = [B.WALL, B.BARRACKS, B.RESIDENCE, *focus[:2]]
    general = [B.MAIN_BUILDING, B.WAREHOUSE, B.GRANARY, *RESOURCE_FIELDS]
    moment = now - datetime.timedelta(days=HISTORY_DAYS)
    builds = []
    for _ in range(rng.randint(12, 30)):
        building = rng.choice(focus) if rng.random() < 0.75 else rng.choice(general)
        level = levels.get(building, 0)
        if level >= 20:
            continue
        base = BASE_COST.get(building, 60)
        growth = 1.28 ** level
        wait = rng.randint(0, 1800)
        build_time = int(300 * 1.2 ** level * rng.uniform(0.8, 1.2))
        queued = moment + datetime.timedelta(seconds=rng.randint(600, 40000))
        started, completed = queued + datetime.timedelta(seconds=wait), None
        if started + datetime.timedelta(seconds=build_time) < now:
            completed = started + datetime.timedelta(seconds=build_time)
            moment, levels[building] = completed, level + 1
        elif started > now:
            started = None
        builds.append(NPCBuildQueueHistory(
            npc_id=state.npc_id, building_name=building, from_level=level, to_level=level + 1,
            queued_at=queued, started_at=started, completed_at=completed,
            cost_wood=int(base * growth), cost_clay=int(base * 1.1 * growth), cost_iron=int(base * 0.9 * growth),
            cost_wheat=int(base * 0.5 * growth), wait_time_seconds=wait if started else None,
            build_time_seconds=build_time, priority_score=round(rng.uniform(0.6, 1.0) if building in focus
                                                                else rng.uniform(0.2, 0.6), 3),
            decision_reason=f"{style.template}: {building.replace('_', ' ')} to level {level + 1}"
                            + (" (focus)" if building in focus else " (keeps the economy up)"),
        ))
        if completed is None:
            break  # one build at a time is still running
    return builds


def _village(state, name: str, x: int, y: int, capital: bool, village_type: str, levels: dict,
             rng: random.Random) -> Village:
    production = {res: 5 + 20 * levels.get(field, 0) + rng.randint(0, 15)
                  for res, field in zip(Resource.values, RESOURCE_FIELDS, strict=True)}
    warehouse, granary = 800 * (1 + levels.get(B.WAREHOUSE, 0)), 800 * (1 + levels.get(B.GRANARY, 0))
    soldiers = 3 if village_type in MILITARY_TYPES else 1
    units = (OFFENSIVE_UNITS if village_type == VillageType.MILITARY else DEFENSIVE_UNITS)[Tribe(state.npc.tribe)]
    return Village(
        player_id=state.player_id, name=name, x=x, y=y, is_capital=capital,
        population=sum(levels.values()) * 4 + rng.randint(0, 30),
        wood=rng.randint(0, warehouse), clay=rng.randint(0, warehouse), iron=rng.randint(0, warehouse),
        wheat=rng.randint(0, granary),
        wood_production=production["wood"], clay_production=production["clay"],
        iron_production=production["iron"], wheat_production=production["wheat"] - 2 * soldiers,
        warehouse_capacity=warehouse, granary_capacity=granary,
        buildings={str(b): lvl for b, lvl in sorted(levels.items()) if lvl},
        troops={unit: rng.randint(10, 80) * soldiers for unit in units},
    )


def _training(tribe: str, village_type: str, rng: random.Random) -> dict:
    offensive = village_type == VillageType.MILITARY
    units = (OFFENSIVE_UNITS if offensive else DEFENSIVE_UNITS)[Tribe(tribe)]
    return {"units": list(units), "batch_size": rng.choice((10, 25, 50)) * (2 if offensive else 1),
            "keep_defense_ratio": 0.1 if offensive else 0.6}
