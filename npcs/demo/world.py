"""The rules of the demo world: who the demo NPCs are and what happened to them (pure Python, no database).

Everything is drawn from `random.Random` streams keyed by the seed and the NPC's index, so the
same seed gives the same world, and NPC *i* is the same whether it is created alone or with
499 others (which lets `seed_demo` add only the NPCs that are missing). Personality drives the
numbers: aggressive NPCs and assassins fight more and win more attacks, economic NPCs trade more
and at better margins, diplomats write more messages, sign more treaties and lead alliances.

Rows are plain dicts keyed by column name; `npcs.demo.seeding` writes them with COPY.
"""

from __future__ import annotations

import datetime
import json
import math
import random
import zlib
from dataclasses import dataclass, field

from npcs.choices import (
    BattleResult,
    BattleRole,
    BattleType,
    DecisionType,
    MemoryType,
    MessageType,
    Personality,
    Resource,
    Strategy,
    TradeStatus,
    TradeType,
    TreatyType,
    Tribe,
)
from npcs.demo import vocabulary as words
from npcs.models.alliance import validate_diplomatic_stance
from npcs.models.npc import validate_behavior_template
from npcs.models.relationship import validate_treaties
from npcs.presets import template_for

DAY = datetime.timedelta(days=1)
HISTORY_DAYS = 90  # memories, decisions, battles, trades and messages span the last ~3 months
WORLD_AGE_DAYS = 120  # the game worlds started this long ago (game_day 1)
TRIBES = (Tribe.ROMANS, Tribe.GAULS, Tribe.TEUTONS)

# Player ids of demo NPCs are NPC_PLAYER_BASE + index in every world; the human players they meet
# have ids from HUMAN_PLAYER_BASE below that. Demo alliances have ids from DEMO_ALLIANCE_BASE.
NPC_PLAYER_BASE = 20_000
HUMAN_PLAYER_BASE = 1_000
DEMO_ALLIANCE_BASE = 700
NPCS_PER_ALLIANCE = 14
VILLAGE_ID_STRIDE = 100  # a player's villages are player_id * stride + n (the game's ids are unknown here)

PERSONALITY_WEIGHTS = {Personality.AGGRESSIVE: 22, Personality.ECONOMIC: 22, Personality.BALANCED: 26,
                       Personality.DIPLOMAT: 16, Personality.ASSASSIN: 14}


@dataclass(frozen=True)
class Activity:
    """How often an NPC of a personality does things per world, over the ~3 months of history."""

    battles: int
    trades: int
    messages: int
    relationships: int
    decisions: int
    alliance_join: float
    llm_bias: float  # added to the per-decision-type chance of asking the LLM
    strategies: dict
    relationship_types: dict
    decision_types: dict
    population: int  # median population


ACTIVITY = {
    Personality.AGGRESSIVE: Activity(
        battles=22, trades=3, messages=5, relationships=8, decisions=50, alliance_join=0.7, llm_bias=0.0,
        strategies={Strategy.MILITARY: 6, Strategy.EXPANSION: 3, Strategy.ECONOMIC: 1},
        relationship_types={"enemy": 45, "neutral": 30, "trading_partner": 8, "ally": 5, "vassal": 9, "overlord": 3},
        decision_types={"military": 35, "tactical": 25, "strategic": 10, "building": 10, "expansion": 10,
                        "economic": 5, "diplomatic": 5},
        population=2600),
    Personality.ECONOMIC: Activity(
        battles=3, trades=18, messages=6, relationships=9, decisions=45, alliance_join=0.75, llm_bias=-0.05,
        strategies={Strategy.ECONOMIC: 7, Strategy.EXPANSION: 3},
        relationship_types={"trading_partner": 45, "neutral": 30, "ally": 10, "enemy": 10, "vassal": 2,
                            "overlord": 3},
        decision_types={"economic": 35, "building": 25, "expansion": 15, "strategic": 10, "diplomatic": 7,
                        "military": 4, "tactical": 4},
        population=3200),
    Personality.BALANCED: Activity(
        battles=8, trades=8, messages=7, relationships=9, decisions=45, alliance_join=0.8, llm_bias=0.0,
        strategies={Strategy.EXPANSION: 4, Strategy.ECONOMIC: 3, Strategy.MILITARY: 2, Strategy.DIPLOMATIC: 1},
        relationship_types={"neutral": 35, "trading_partner": 20, "ally": 15, "enemy": 20, "vassal": 5,
                            "overlord": 5},
        decision_types={"strategic": 14, "tactical": 14, "economic": 15, "diplomatic": 12, "building": 17,
                        "military": 14, "expansion": 14},
        population=2800),
    Personality.DIPLOMAT: Activity(
        battles=2, trades=9, messages=16, relationships=13, decisions=40, alliance_join=0.95, llm_bias=0.1,
        strategies={Strategy.DIPLOMATIC: 7, Strategy.ECONOMIC: 2, Strategy.EXPANSION: 1},
        relationship_types={"ally": 35, "trading_partner": 25, "neutral": 30, "enemy": 5, "vassal": 2,
                            "overlord": 3},
        decision_types={"diplomatic": 35, "strategic": 15, "economic": 15, "building": 15, "expansion": 10,
                        "military": 5, "tactical": 5},
        population=2400),
    Personality.ASSASSIN: Activity(
        battles=17, trades=3, messages=3, relationships=7, decisions=45, alliance_join=0.45, llm_bias=0.05,
        strategies={Strategy.MILITARY: 8, Strategy.EXPANSION: 2},
        relationship_types={"enemy": 50, "neutral": 30, "trading_partner": 5, "ally": 5, "vassal": 8, "overlord": 2},
        decision_types={"tactical": 35, "military": 30, "strategic": 10, "building": 10, "expansion": 5,
                        "economic": 5, "diplomatic": 5},
        population=2000),
}

LLM_SHARE = {"strategic": 0.8, "diplomatic": 0.7, "expansion": 0.5, "tactical": 0.3, "military": 0.25,
             "economic": 0.2, "building": 0.1}
BETRAYERS = (Personality.AGGRESSIVE, Personality.ASSASSIN)  # the ones who break treaties now and then
RESOURCE_VALUE = {Resource.WOOD: 1.0, Resource.CLAY: 1.0, Resource.IRON: 1.15, Resource.WHEAT: 0.85}


def demo_name(index: int) -> tuple[str, str]:
    """(name, tribe) of demo NPC `index`: unique for every index and independent of the seed."""
    tribe = TRIBES[index % 3]
    n = index // 3
    firsts = words.FIRST_NAMES[tribe]
    per_round = len(firsts) * len(words.EPITHETS)
    a, b = n % len(firsts), (n // len(firsts)) % len(words.EPITHETS)
    name = f"{firsts[a]} {words.EPITHETS[(a + b + 11 * TRIBES.index(tribe)) % len(words.EPITHETS)]}"
    if n >= per_round:
        name += f" {n // per_round + 1}"
    return name, tribe


def alliance_name(alliance_id: int) -> tuple[str, str]:
    """(name, tag) of the demo alliance with world id `alliance_id` (the same in every world)."""
    j = alliance_id - DEMO_ALLIANCE_BASE
    adjectives, nouns = words.ALLIANCE_ADJECTIVES, words.ALLIANCE_NOUNS
    a, b = j % len(adjectives), (j // len(adjectives)) % len(nouns)
    noun = nouns[(a + b) % len(nouns)]
    name = f"{adjectives[a]} {noun}"
    suffix = j // (len(adjectives) * len(nouns))
    if suffix:
        name += f" {suffix + 1}"
    return name, f"{adjectives[a][:2]}{noun[:2]}{suffix or ''}".upper()


def alliance_count(npcs_in_world: int) -> int:
    return max(1, math.ceil(npcs_in_world / NPCS_PER_ALLIANCE))


def alliance_is_npc_led(world_id: str, alliance_id: int) -> bool:
    """About 60% of demo alliances are led by an NPC; the others by a human player."""
    return zlib.crc32(f"{world_id}:{alliance_id}".encode()) % 10 < 6


def village_ids(player_id: int, count: int) -> list[int]:
    return [player_id * VILLAGE_ID_STRIDE + n for n in range(max(1, count))]


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _between(rng: random.Random, low: float, high: float, digits: int = 2) -> float:
    return round(rng.uniform(low, high), digits)


def _around(rng: random.Random, mean: float, spread: float = 0.5) -> int:
    """A count near `mean` (±spread), never negative."""
    return max(0, round(rng.uniform(mean * (1 - spread), mean * (1 + spread))))


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(high, max(low, value))


# --- Phase 1: the NPCs and their state in each world ------------------------------------------

@dataclass
class NPCPlan:
    """A demo NPC to create, with its state in each world it plays (alliance picked later)."""

    index: int
    npc: dict
    world_states: list[dict]
    alliance_draws: dict[str, float | None] = field(default_factory=dict)


def plan_npc(index: int, *, seed: int, worlds: list[str], now: datetime.datetime) -> NPCPlan:
    rng = random.Random(f"{seed}:npc:{index}")
    name, tribe = demo_name(index)
    personality = Personality(_weighted(rng, PERSONALITY_WEIGHTS))
    template = template_for(personality, rng)
    validate_behavior_template(template)
    activity = ACTIVITY[personality]
    active = rng.random() < 0.94
    created_at = now - datetime.timedelta(days=rng.uniform(HISTORY_DAYS + 5, WORLD_AGE_DAYS),
                                          minutes=rng.randrange(1440))
    last_active = now - (datetime.timedelta(minutes=rng.randrange(1, 45)) if active
                         else datetime.timedelta(days=rng.uniform(3, 30)))
    npc = {
        "name": name, "tribe": tribe, "personality": personality, "behavior_template": template,
        "llm_temperature": round(_clamp({"aggressive": 0.9, "economic": 0.5, "balanced": 0.7, "diplomat": 0.8,
                                         "assassin": 0.6}[personality] + rng.uniform(-0.1, 0.1), 0, 2), 2),
        "decision_cache_ttl": rng.choice((900, 1800, 3600, 3600, 7200)),
        "strategic_update_frequency": rng.choice((21600, 43200, 86400, 86400, 86400)),
        "active": active, "paused": active and rng.random() < 0.04,
        "created_at": created_at, "last_active": last_active,
    }

    home = rng.choices(worlds, weights=[0.7] + [0.3 / max(1, len(worlds) - 1)] * (len(worlds) - 1))[0]
    played = [home] + [w for w in worlds if w != home and rng.random() < 0.25]
    states, draws = [], {}
    for world_id in sorted(played, key=worlds.index):
        second = world_id != home
        population = max(120, round(rng.lognormvariate(math.log(activity.population * (0.6 if second else 1)),
                                                        0.45)))
        villages = max(1, round(population / rng.uniform(380, 650)))
        aggression, economy = template["aggression"], template["economy"]
        production = {r: round(villages * rng.uniform(180, 320) * (0.7 + 0.6 * economy)
                               * {Resource.WHEAT: 1.15, Resource.IRON: 0.85}.get(r, 1.0)) for r in RESOURCE_VALUE}
        troops = round(population * rng.uniform(0.4, 1.1) * (0.4 + aggression))
        strategy = _weighted(rng, activity.strategies)
        states.append({
            "world_id": world_id, "player_id": NPC_PLAYER_BASE + index, "rank": None,
            "total_population": population, "village_count": villages,
            **{f"total_{r}": round(production[r] * rng.uniform(2, 14)) for r in RESOURCE_VALUE},
            "offensive_power": round(troops * rng.uniform(35, 60) * (0.3 + aggression)),
            "defensive_power": round(troops * rng.uniform(30, 55) * (1.3 - aggression)),
            "total_troops": troops,
            **{f"production_rate_{r}": production[r] for r in RESOURCE_VALUE},
            "current_strategy": strategy, "strategic_goal": rng.choice(words.STRATEGIC_GOALS[strategy]),
            "threat_level": round(_clamp(rng.betavariate(2, 5) + (0.15 if aggression > 0.7 else 0)), 2),
            "alliance_id": None, "alliance_role": None,
            "state_updated_at": last_active - datetime.timedelta(minutes=rng.randrange(0, 240)),
            "last_login": last_active,
        })
        draws[world_id] = rng.random() if rng.random() < activity.alliance_join else None
    return NPCPlan(index=index, npc=npc, world_states=states, alliance_draws=draws)


def join_alliances(plan: NPCPlan, alliances_per_world: dict[str, int]) -> None:
    """Put the NPC into one of its worlds' demo alliances (roles are settled once all members exist)."""
    for state in plan.world_states:
        draw = plan.alliance_draws.get(state["world_id"])
        if draw is not None:
            state["alliance_id"] = DEMO_ALLIANCE_BASE + int(draw * alliances_per_world[state["world_id"]])
            state["alliance_role"] = "member"


def alliance_row(world_id: str, alliance_id: int, *, seed: int, alliance_ids: list[int],
                 now: datetime.datetime) -> dict:
    """A new demo alliance; its members, leader and totals are filled in from the world states."""
    rng = random.Random(f"{seed}:alliance:{world_id}:{alliance_id}")
    name, tag = alliance_name(alliance_id)
    others = [a for a in alliance_ids if a != alliance_id]
    rng.shuffle(others)
    stance = {"allied_alliances": sorted(others[:rng.randint(0, 2)]),
              "nap_alliances": sorted(others[2:2 + rng.randint(0, 2)]),
              "enemy_alliances": sorted(others[4:4 + rng.randint(0, 2)])}
    validate_diplomatic_stance(stance)
    humans = rng.randint(3, 30)
    created = now - datetime.timedelta(days=rng.uniform(HISTORY_DAYS, WORLD_AGE_DAYS))
    return {"world_id": world_id, "alliance_id": alliance_id, "name": name, "tag": tag,
            "total_members": humans, "npc_members": 0,
            "alliance_strategy": rng.choice(("military", "peaceful", "trading", "expansionist")),
            "diplomatic_stance": stance, "created_at": created, "updated_at": now}


# --- Phase 2: each new NPC's history ---------------------------------------------------------

@dataclass(frozen=True)
class Player:
    """Someone a demo NPC can meet in a world: another NPC (npc_id set) or a human player."""

    player_id: int
    npc_id: int | None = None
    name: str = ""
    tribe: str = ""
    alliance_id: int | None = None
    village_count: int = 1
    last_active: datetime.datetime | None = None  # an NPC does not answer after it stopped playing


@dataclass
class History:
    """The rows of one NPC's past, by table (messages are (message, reply or None) pairs)."""

    relationships: list[dict] = field(default_factory=list)
    memories: list[dict] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
    battles: list[dict] = field(default_factory=list)
    trades: list[dict] = field(default_factory=list)
    messages: list[tuple[dict, dict | None]] = field(default_factory=list)


@dataclass
class _Contact:
    """What this NPC did with one target player, to fill the relationship row."""

    player: Player
    kind: str
    trust: int
    treaties: list = field(default_factory=list)
    events: list = field(default_factory=list)  # (when, interaction type)
    won: int = 0
    lost: int = 0
    raided: int = 0
    lost_to: int = 0
    sent: int = 0
    received: int = 0


class _Clock:
    """Random moments in the NPC's history window."""

    def __init__(self, rng: random.Random, now: datetime.datetime):
        self.rng, self.now = rng, now

    def past(self, days: float = HISTORY_DAYS, min_days: float = 0.0) -> datetime.datetime:
        return self.now - datetime.timedelta(seconds=self.rng.uniform(min_days * 86400, days * 86400))

    def after(self, moment: datetime.datetime, low_s: float, high_s: float) -> datetime.datetime:
        return min(self.now, moment + datetime.timedelta(seconds=self.rng.uniform(low_s, high_s)))


def npc_history(plan: NPCPlan, npc_id: int, *, seed: int, rosters: dict[str, list[Player]],
                humans: dict[str, int], now: datetime.datetime) -> History:
    """Relationships, battles, trades, messages, memories and decisions of one new NPC in its worlds."""
    rng = random.Random(f"{seed}:history:{plan.index}")
    history = History()
    for state in plan.world_states:
        _world_history(history, rng, plan, npc_id, state, rosters[state["world_id"]],
                       humans[state["world_id"]], now)
    return history


def _world_history(history: History, rng: random.Random, plan: NPCPlan, npc_id: int, state: dict,
                   roster: list[Player], human_count: int, now: datetime.datetime) -> None:
    npc, world_id = plan.npc, state["world_id"]
    personality, template = npc["personality"], npc["behavior_template"]
    # The history ends when the NPC was last active (minutes ago, or days ago for an inactive one).
    activity, clock = ACTIVITY[personality], _Clock(rng, min(now, npc["last_active"]))
    scale = 1.0 if npc["active"] else 0.4  # inactive NPCs stopped a while ago

    contacts = _contacts(rng, activity, state, roster, human_count, now)
    enemies = [c for c in contacts if c.kind == "enemy"] or contacts

    for _ in range(_around(rng, activity.battles * scale)):
        contact = rng.choice(enemies) if rng.random() < 0.75 else rng.choice(contacts)
        history.battles.append(_battle(rng, clock, npc, npc_id, state, contact))
    for _ in range(_around(rng, activity.trades * scale)):
        partners = [c for c in contacts if c.kind in ("trading_partner", "ally")] or contacts
        contact = rng.choice(partners) if rng.random() < 0.75 else rng.choice(contacts)
        history.trades.append(_trade(rng, clock, template, npc_id, world_id, contact))
    for _ in range(_around(rng, activity.messages * scale)):
        history.messages.append(_message(rng, clock, npc, npc_id, state, rng.choice(contacts)))
    for contact in contacts:
        history.relationships.append(_relationship(rng, clock, npc_id, world_id, contact))

    decisions = [_decision(rng, clock, npc, npc_id, state, contacts, activity)
                 for _ in range(_around(rng, activity.decisions * scale, 0.3))]
    history.decisions.extend(decisions)
    history.memories.extend(_memories(rng, clock, npc_id, personality, state, contacts, history, decisions, now))


def _contacts(rng, activity, state, roster, human_count, now) -> list[_Contact]:
    me = state["player_id"]
    count = max(3, _around(rng, activity.relationships, 0.35))
    others = [p for p in roster if p.player_id != me]
    npc_targets = rng.sample(others, min(len(others), round(count * 0.6)))
    human_ids = rng.sample(range(HUMAN_PLAYER_BASE, HUMAN_PLAYER_BASE + human_count),
                           min(human_count, count - len(npc_targets)))
    targets = npc_targets + [Player(pid, tribe=rng.choice(TRIBES), village_count=rng.randint(1, 6))
                             for pid in human_ids]
    contacts = []
    for target in targets:
        same_alliance = state["alliance_id"] is not None and target.alliance_id == state["alliance_id"]
        kind = "ally" if same_alliance else _weighted(rng, activity.relationship_types)
        trust = {"ally": (40, 100), "trading_partner": (10, 70), "neutral": (-20, 30), "enemy": (-100, -30),
                 "vassal": (0, 60), "overlord": (-30, 50)}[kind]
        contact = _Contact(player=target, kind=kind, trust=rng.randint(*trust))
        contact.treaties = _treaties(rng, kind, now)
        contacts.append(contact)
    return contacts


def _treaties(rng: random.Random, kind: str, now: datetime.datetime) -> list[dict]:
    """Active treaties that fit the relationship: dates in ISO format, each end after its start."""
    today = now.date()

    def dated(treaty_type, started_days_ago, lasts_days, **extra):
        start = today - datetime.timedelta(days=started_days_ago)
        treaty = {"type": treaty_type, "start": start.isoformat()}
        if lasts_days is not None:
            treaty["end"] = (start + datetime.timedelta(days=max(lasts_days, started_days_ago + 1))).isoformat()
        return treaty | extra

    treaties = []
    if kind == "ally":
        treaties.append(dated(TreatyType.NAP, rng.randint(5, 85), rng.choice((90, 180, 365))))
        if rng.random() < 0.4:
            treaties.append(dated(TreatyType.ALLIANCE, rng.randint(1, 60), None,
                                  terms={"mutual_defense": True, "share_intel": rng.random() < 0.7}))
    elif kind == "trading_partner":
        resource = rng.choice(list(RESOURCE_VALUE))
        treaties.append(dated(TreatyType.TRADE_AGREEMENT, rng.randint(3, 80), rng.choice((None, 60, 120)),
                              terms={"resource": resource, "amount_per_day": rng.randrange(1000, 20000, 500),
                                     "rate": _between(rng, 0.8, 1.25)}))
    elif kind == "enemy" and rng.random() < 0.15:
        started = rng.randint(1, 5)
        treaties.append(dated(TreatyType.CEASEFIRE, started, started + rng.randint(2, 14)))
    elif kind == "neutral" and rng.random() < 0.25:
        treaties.append(dated(TreatyType.NAP, rng.randint(5, 85), rng.choice((60, 120))))
    elif kind in ("vassal", "overlord"):
        treaties.append(dated(TreatyType.VASSALAGE, rng.randint(5, 80), None,
                              terms={"tribute_per_day": rng.randrange(500, 5000, 100),
                                     "tribute_resource": rng.choice(list(RESOURCE_VALUE))}))
    validate_treaties(treaties)
    return treaties


def _troops(rng: random.Random, tribe: str, total: int, kinds: int = 3) -> dict:
    units = rng.sample(words.TROOPS[tribe], kinds)
    weights = [rng.random() + 0.2 for _ in units]
    scale = total / sum(weights)
    return {unit: max(1, round(w * scale)) for unit, w in zip(units, weights, strict=True)}


def _battle(rng, clock, npc, npc_id, state, contact: _Contact) -> dict:
    template, tribe = npc["behavior_template"], npc["tribe"]
    aggression = template["aggression"]
    me, enemy = state["player_id"], contact.player
    enemy_tribe = enemy.tribe or rng.choice(TRIBES)
    roll = rng.random()
    # Aggressive NPCs start most of their battles; peaceful ones mostly defend.
    if roll < 0.1 + 0.8 * aggression:
        raid = rng.random() < (0.6 if npc["personality"] == Personality.ASSASSIN else 0.35)
        battle_type, role, attacker, defender = (BattleType.RAID if raid else BattleType.ATTACK), \
            BattleRole.ATTACKER, me, enemy.player_id
        win = 0.3 + 0.4 * aggression + (0.1 if raid else 0) + 0.1 * template["risk_tolerance"]
    elif roll < 0.93:
        battle_type, role, attacker, defender = BattleType.DEFENSE, BattleRole.DEFENDER, enemy.player_id, me
        win = 0.3 + 0.3 * template["patience"] + 0.2 * (1 - aggression)
    else:
        battle_type, role, attacker, defender = BattleType.REINFORCEMENT, BattleRole.REINFORCEMENT, \
            enemy.player_id, rng.randrange(HUMAN_PLAYER_BASE, NPC_PLAYER_BASE)
        win = 0.5
    result_roll = rng.random()
    result = (BattleResult.VICTORY if result_roll < win
              else BattleResult.DRAW if result_roll < win + 0.06 else BattleResult.DEFEAT)
    survival = {BattleResult.VICTORY: (0.6, 0.97), BattleResult.DRAW: (0.35, 0.6), BattleResult.DEFEAT: (0, 0.35)}
    sent_total = max(20, round(state["total_troops"] * rng.uniform(0.15, 0.6)))
    sent = _troops(rng, tribe, sent_total)
    if battle_type == BattleType.ATTACK and rng.random() < 0.4:
        sent[words.SIEGE[tribe]] = rng.randint(5, 40)
    survived = {u: round(n * rng.uniform(*survival[result])) for u, n in sent.items()}
    enemy_estimated = _troops(rng, enemy_tribe, round(sent_total * rng.uniform(0.4, 1.6)), kinds=2)
    killed_share = {BattleResult.VICTORY: (0.6, 1.0), BattleResult.DRAW: (0.3, 0.6),
                    BattleResult.DEFEAT: (0.05, 0.4)}[result]
    killed = {u: round(n * rng.uniform(*killed_share)) for u, n in enemy_estimated.items()}
    gained = lost = 0
    if role == BattleRole.ATTACKER and result == BattleResult.VICTORY:
        gained = rng.randrange(500, 9000 if battle_type == BattleType.RAID else 4000, 10)
    elif role == BattleRole.DEFENDER and result == BattleResult.DEFEAT:
        lost = rng.randrange(300, 6000, 10)
    predicted = result if rng.random() < 0.72 else rng.choice(BattleResult.values)
    confidence = _between(rng, 0.5, 0.95)
    occurred = clock.past()
    my_village, their_village = rng.choice(village_ids(me, state["village_count"])), \
        rng.choice(village_ids(enemy.player_id, enemy.village_count))
    from_village, to_village = (my_village, their_village) if role == BattleRole.ATTACKER else \
        (their_village, my_village)
    lesson_key = "battle_victory" if result == BattleResult.VICTORY else "battle_defeat"

    if result == BattleResult.VICTORY:
        contact.won += 1
    elif result == BattleResult.DEFEAT:
        contact.lost += 1
    contact.raided += gained
    contact.lost_to += lost
    contact.events.append((occurred, f"battle_{battle_type}"))
    return {
        "world_id": state["world_id"], "npc_id": npc_id, "battle_id": rng.randrange(1_000_000, 9_999_999),
        "battle_type": battle_type, "attacker_id": attacker, "defender_id": defender, "npc_role": role,
        "from_village_id": from_village, "to_village_id": to_village,
        "my_troops_sent": sent, "my_troops_survived": survived,
        "enemy_troops_estimated": enemy_estimated, "enemy_troops_killed": killed,
        "result": result, "resources_gained": gained, "resources_lost": lost,
        "prediction_made": {"predicted_result": predicted,
                            "predicted_losses": {u: round(n * rng.uniform(0.05, 0.5)) for u, n in sent.items()},
                            "confidence": confidence},
        "prediction_accuracy": _between(rng, 0.7, 0.98) if predicted == result else _between(rng, 0.1, 0.5),
        "tactical_lesson": rng.choice(words.LESSONS[lesson_key]) if rng.random() < 0.6 else None,
        "strategy_adjustment": ({"aggression": 0.02 if result == BattleResult.VICTORY else -0.03,
                                 "reason": f"outcome of battle against player {enemy.player_id}"}
                                if rng.random() < 0.25 else None),
        "occurred_at": occurred, "created_at": clock.after(occurred, 1, 120),
        "_opponent": enemy,
    }


def _trade(rng, clock, template, npc_id, world_id, contact: _Contact) -> dict:
    offered, requested = rng.sample(list(RESOURCE_VALUE), 2)
    market = RESOURCE_VALUE[offered] / RESOURCE_VALUE[requested] * (1 + rng.gauss(0, 0.05))
    # Better traders (high economy weight) get better than the market rate.
    skill = rng.gauss(template["economy"] * 0.12 - 0.04, 0.05)
    offered_amount = rng.randrange(500, 8000, 50)
    requested_amount = max(1, round(offered_amount * market * (1 + skill)))
    rate = requested_amount / offered_amount
    created = clock.past()
    recent = clock.now - created < 2 * DAY
    status = (TradeStatus.PENDING if recent and rng.random() < 0.5
              else _weighted(rng, {TradeStatus.COMPLETED: 75, TradeStatus.CANCELLED: 10, TradeStatus.EXPIRED: 15}))
    contact.events.append((created, "trade"))
    return {
        "world_id": world_id, "npc_id": npc_id, "trade_id": rng.randrange(100_000, 9_999_999),
        "trade_type": _weighted(rng, {TradeType.OFFER_CREATED: 5, TradeType.OFFER_ACCEPTED: 3,
                                      TradeType.MERCHANT_SENT: 2}),
        "offered_resource": offered, "offered_amount": offered_amount,
        "requested_resource": requested, "requested_amount": requested_amount,
        "exchange_rate": round(rate, 4), "market_rate_at_time": round(market, 4),
        "profit_margin": round((rate - market) / market, 4),
        "partner_id": contact.player.player_id,
        "partner_trustworthiness": round(_clamp((contact.trust + 100) / 200 + rng.uniform(-0.1, 0.1)), 2),
        "trade_status": status,
        "completed_at": clock.after(created, 600, 6 * 3600) if status == TradeStatus.COMPLETED else None,
        "created_at": created,
    }


MESSAGE_TYPES_BY_RELATIONSHIP = {
    "ally": {"friendly_chat": 4, "diplomatic_message": 3, "alliance_invitation": 2},
    "trading_partner": {"trade_offer": 6, "friendly_chat": 2, "treaty_proposal": 1},
    "neutral": {"treaty_proposal": 3, "alliance_invitation": 2, "trade_offer": 2, "friendly_chat": 2, "threat": 1},
    "enemy": {"war_declaration": 3, "threat": 4, "treaty_proposal": 2, "diplomatic_message": 1},
    "vassal": {"diplomatic_message": 3, "threat": 2, "trade_offer": 1},
    "overlord": {"diplomatic_message": 4, "trade_offer": 2, "friendly_chat": 1},
}


def _message(rng, clock, npc, npc_id, state, contact: _Contact) -> tuple[dict, dict | None]:
    weights = dict(MESSAGE_TYPES_BY_RELATIONSHIP[contact.kind])
    if npc["personality"] in (Personality.AGGRESSIVE, Personality.ASSASSIN):
        weights["threat"] = weights.get("threat", 0) + 2
    if state["alliance_id"] is None:
        weights.pop("alliance_invitation", None)  # only members invite
    message_type = _weighted(rng, weights)
    offered, requested = rng.sample(list(RESOURCE_VALUE), 2)
    body = words.MESSAGE_BODIES[message_type].format(
        tag=alliance_name(state["alliance_id"])[1] if state["alliance_id"] else "",
        end=(clock.now.date() + datetime.timedelta(days=90)).isoformat(),
        amount=rng.randrange(1000, 10000, 500), offered=offered, requested=requested)
    subject = rng.choice(words.MESSAGE_SUBJECTS[message_type])
    by_llm = rng.random() < 0.85
    sent = clock.past()
    read = clock.after(sent, 60, 12 * 3600) if rng.random() < 0.85 else None
    reply_chance = {"war_declaration": 0.3, "threat": 0.25, "friendly_chat": 0.5}.get(message_type, 0.6)
    replied = clock.after(read, 120, 24 * 3600) if read and rng.random() < reply_chance else None
    if replied and contact.player.last_active and replied > contact.player.last_active:
        replied = None
    positive = None
    if replied:
        positive = rng.random() < _clamp(0.35 + contact.trust / 200 + (0.1 if message_type == "trade_offer" else 0))
    message = {
        "world_id": state["world_id"], "from_npc_id": npc_id, "to_player_id": contact.player.player_id,
        "to_is_npc": contact.player.npc_id is not None, "subject": subject, "message_body": body,
        "message_type": message_type, "generated_by_llm": by_llm,
        "llm_prompt": (f"You are {npc['name']}, a {npc['personality']} {npc['tribe']} player. Write a short "
                       f"in-game {message_type.replace('_', ' ')} to player {contact.player.player_id} "
                       f"(relationship: {contact.kind}, trust {contact.trust}). Stay in character."
                       if by_llm else None),
        "generation_time_ms": rng.randint(400, 3500) if by_llm else rng.randint(2, 15),
        "sent_at": sent, "read_at": read, "replied_at": replied, "reply_message_id": None,
        "response_received": replied is not None, "response_positive": positive,
        "objective_achieved": (positive and rng.random() < 0.7) if replied else (False if read else None),
        "created_at": sent,
    }
    contact.sent += 1
    contact.events.append((sent, f"message_{message_type}"))
    reply = None
    if replied:
        contact.received += 1
        contact.events.append((replied, "message_reply"))
        if contact.player.npc_id is not None:
            reply = {
                "world_id": state["world_id"], "from_npc_id": contact.player.npc_id,
                "to_player_id": state["player_id"], "to_is_npc": True, "subject": f"Re: {subject}",
                "message_body": ("Agreed. Let us put it in writing." if positive
                                 else "No. Do not write to me about this again."),
                "message_type": MessageType.DIPLOMATIC_MESSAGE, "generated_by_llm": True,
                "llm_prompt": f"Reply in character to {npc['name']}'s {message_type.replace('_', ' ')}.",
                "generation_time_ms": rng.randint(400, 3000), "sent_at": replied,
                "read_at": clock.after(replied, 60, 6 * 3600) if rng.random() < 0.9 else None,
                "replied_at": None, "reply_message_id": None, "response_received": False,
                "response_positive": None, "objective_achieved": None, "created_at": replied,
            }
    return message, reply


def _relationship(rng, clock, npc_id, world_id, contact: _Contact) -> dict:
    target = contact.player
    contact.received += rng.randint(0, 3)
    if contact.events:
        last_at, last_type = max(contact.events, key=lambda e: e[0])
        first_at = min(e[0] for e in contact.events)
    else:
        last_at, last_type = clock.past(60), rng.choice(("scouted", "seen_on_map", "alliance_forum"))
        first_at = last_at
    hostile = contact.kind in ("enemy", "overlord", "neutral")
    known_army = (_troops(rng, target.tribe or rng.choice(TRIBES), rng.randint(200, 5000), kinds=3)
                  if hostile and rng.random() < 0.7 else None)
    pattern = None
    if rng.random() < 0.6:
        start = rng.randrange(24)
        pattern = {"typical_online_hours": sorted({(start + h) % 24 for h in rng.sample(range(14), 8)}),
                   "timezone_estimate": f"UTC{rng.choice(('-5', '-3', '+0', '+1', '+2', '+3', '+8'))}",
                   "activity_level": rng.choice(("low", "medium", "high")),
                   "logins_per_day": rng.randint(2, 25)}
    predicted = None
    if rng.random() < 0.7:
        actions = (("attack", "raid", "build_defense", "scout") if contact.kind == "enemy"
                   else ("trade", "expand", "build_economy", "idle", "request_help"))
        predicted = rng.choice(actions)
    villages = village_ids(target.player_id, target.village_count)
    return {
        "npc_id": npc_id, "target_player_id": target.player_id, "world_id": world_id,
        "trust_score": contact.trust, "relationship_type": contact.kind,
        "total_interactions": len(contact.events) + rng.randint(0, 5),
        "last_interaction_type": last_type, "last_interaction_at": last_at,
        "battles_won_against": contact.won, "battles_lost_against": contact.lost,
        "resources_raided_from": contact.raided, "resources_lost_to": contact.lost_to,
        "treaties_active": contact.treaties,
        "messages_sent": contact.sent, "messages_received": contact.received,
        "known_villages": rng.sample(villages, rng.randint(0, len(villages))),
        "known_army_composition": known_army, "activity_pattern": pattern,
        "predicted_next_action": predicted,
        "prediction_confidence": _between(rng, 0.3, 0.95) if predicted else None,
        "predicted_at": clock.past(3) if predicted else None,
        "created_at": first_at - datetime.timedelta(hours=rng.uniform(1, 72)), "updated_at": last_at,
    }


def _decision(rng, clock, npc, npc_id, state, contacts, activity: Activity) -> dict:
    template = npc["behavior_template"]
    decision_type = _weighted(rng, activity.decision_types)
    target = rng.choice(contacts).player.player_id
    summary = rng.choice(words.SITUATIONS[decision_type]).format(
        population=state["total_population"], villages=state["village_count"], target=target)
    actions = words.ACTIONS[decision_type]
    rule_action = rng.choice(actions)
    score = _between(rng, 0.4, 0.95)
    recommendation = {"action": rule_action, "score": score,
                      "rule": f"{decision_type}_{rule_action}", "target_player_id": target}
    used_llm = rng.random() < _clamp(LLM_SHARE[decision_type] + activity.llm_bias)
    confidence = _between(rng, 0.35, 0.98)
    created = clock.past()
    row = {"npc_id": npc_id, "world_id": state["world_id"], "decision_type": decision_type,
           "situation_summary": summary, "used_llm": used_llm, "llm_prompt": None, "llm_response": None,
           "llm_latency_ms": None, "rule_based_recommendation": recommendation, "decision_confidence": confidence,
           "created_at": created}
    if used_llm:
        # The LLM overrules the rules now and then; that is what makes a trace worth reading.
        overruled = rng.random() < 0.4
        action = rng.choice([a for a in actions if a != rule_action]) if overruled else rule_action
        reason = ("The rules miss the alliance situation; " if overruled else "Agree with the rules: ") + \
            rng.choice(("risk is acceptable.", "timing favours us.", "resources allow it.",
                        "neighbours are distracted."))
        latency = min(4000, max(300, round(rng.lognormvariate(math.log(1200), 0.5))))
        row |= {
            "llm_prompt": (f"You are {npc['name']}, a {npc['personality']} {npc['tribe']} player in world "
                           f"{state['world_id']} with {state['village_count']} villages and population "
                           f"{state['total_population']}.\nBehaviour: aggression {template['aggression']}, "
                           f"economy {template['economy']}, diplomacy {template['diplomacy']}, risk tolerance "
                           f"{template['risk_tolerance']}.\nGoals: {', '.join(template['goals'])}.\n"
                           f"Situation: {summary}\nThe rule engine recommends '{rule_action}' (score {score}).\n"
                           "Answer with JSON {\"action\", \"reason\", \"confidence\"}."),
            "llm_response": json.dumps({"action": action, "reason": reason, "confidence": confidence}),
            "llm_latency_ms": latency,
            "decision_latency_ms": latency + rng.randint(5, 50),
            "final_decision": {"action": action, "target_player_id": target, "source": "llm", "reason": reason},
        }
    else:
        # Now and then the executor re-targets a rule decision (the target went out of reach):
        # the "rules, overridden" path, a departure without the LLM.
        final_target = target
        if len(contacts) > 1 and rng.random() < 0.08:
            elsewhere = [c.player.player_id for c in contacts if c.player.player_id != target]
            final_target = rng.choice(elsewhere or [target])
        row |= {"decision_latency_ms": rng.randint(5, 50),
                "final_decision": {"action": rule_action, "target_player_id": final_target, "source": "rules"}}
    age = clock.now - created
    executed = age > datetime.timedelta(minutes=30) or rng.random() < 0.5
    executed = executed and rng.random() < 0.95
    row["executed"] = executed
    row["execution_started_at"] = clock.after(created, 0.2, 5) if executed else None
    row["execution_completed_at"] = clock.after(row["execution_started_at"], 1, 900) if executed else None
    row["execution_result"] = ({"status": "ok" if rng.random() < 0.93 else "failed",
                                "action": row["final_decision"]["action"]} if executed else None)
    measured = executed and age > DAY and rng.random() < 0.88
    row["outcome_measured"] = measured
    success = measured and rng.random() < 0.35 + 0.5 * confidence + (0.05 if used_llm else 0)
    row["outcome_success"] = success if measured else None
    row["outcome_data"] = ({"metric": rng.choice(("population_delta", "resources_delta", "rank_delta",
                                                  "troops_delta")),
                            "value": rng.randint(1, 800) if success else -rng.randint(0, 400),
                            "measured_after_hours": rng.choice((6, 12, 24, 48))} if measured else None)
    return row


def _memories(rng, clock, npc_id, personality, state, contacts, history: History, decisions, now) -> list[dict]:
    world_id, me = state["world_id"], state["player_id"]
    world_start = now - datetime.timedelta(days=WORLD_AGE_DAYS)
    memories = []

    def remember(memory_type, when, data, importance, emotion=0.0, players=(), villages=(), lesson=None,
                 adjustment=None):
        accessed = rng.randint(0, round(30 * importance))
        low_value = importance < 0.3
        memories.append({
            "npc_id": npc_id, "world_id": world_id, "memory_type": memory_type, "event_data": data,
            "importance": round(importance, 2), "emotional_weight": round(emotion, 2),
            "occurred_at": when, "game_day": (when - world_start).days + 1,
            "related_player_ids": list(players) or None, "related_village_ids": list(villages) or None,
            "lesson_learned": lesson, "behavior_adjustment": adjustment, "accessed_count": accessed,
            "last_accessed": clock.after(when, 60, HISTORY_DAYS * 86400) if accessed else None,
            "expires_at": when + datetime.timedelta(days=120) if low_value else None,
            "created_at": clock.after(when, 1, 30),
        })

    for battle in history.battles:
        if battle["world_id"] != world_id or rng.random() > 0.85:
            continue
        opponent: Player = battle["_opponent"]
        victory = battle["result"] == BattleResult.VICTORY
        remember(MemoryType.BATTLE, battle["occurred_at"], {
            "battle_id": battle["battle_id"], "opponent": opponent.name or f"Player{opponent.player_id}",
            "result": battle["result"],
            "my_losses": {u: n - battle["my_troops_survived"][u] for u, n in battle["my_troops_sent"].items()},
            "enemy_losses": battle["enemy_troops_killed"], "resources_gained": battle["resources_gained"],
            "prediction_accuracy": battle["prediction_accuracy"]},
            _between(rng, 0.45, 0.8) if victory else _between(rng, 0.6, 0.95),
            _between(rng, 0.2, 0.6) if victory else _between(rng, -0.8, -0.3),
            players=[opponent.player_id], villages=[battle["to_village_id"]],
            lesson=battle["tactical_lesson"], adjustment=battle["strategy_adjustment"])
    for trade in history.trades:
        if trade["world_id"] == world_id and rng.random() < 0.3:
            remember(MemoryType.TRADE, trade["created_at"], {
                "trade_id": trade["trade_id"], "partner": trade["partner_id"],
                "offered": {trade["offered_resource"]: trade["offered_amount"]},
                "requested": {trade["requested_resource"]: trade["requested_amount"]},
                "profit_margin": trade["profit_margin"], "status": trade["trade_status"]},
                _between(rng, 0.15, 0.5), _between(rng, -0.2, 0.3), players=[trade["partner_id"]],
                lesson=rng.choice(words.LESSONS["trade"]) if rng.random() < 0.3 else None)
    for message, _reply in history.messages:
        if message["world_id"] == world_id and rng.random() < 0.4:
            remember(MemoryType.MESSAGE, message["sent_at"], {
                "message_type": message["message_type"], "to": message["to_player_id"],
                "response_positive": message["response_positive"]},
                _between(rng, 0.1, 0.5), players=[message["to_player_id"]])
    for contact in contacts:
        for treaty in contact.treaties:
            start = datetime.datetime.combine(datetime.date.fromisoformat(treaty["start"]),
                                              datetime.time(rng.randrange(24), rng.randrange(60)), tzinfo=datetime.UTC)
            if now - start < datetime.timedelta(days=HISTORY_DAYS) and start < now:
                remember(MemoryType.TREATY_SIGNED, start, {"partner": contact.player.player_id, **treaty},
                         _between(rng, 0.5, 0.85), _between(rng, 0.1, 0.5), players=[contact.player.player_id],
                         lesson=rng.choice(words.LESSONS["treaty"]) if rng.random() < 0.3 else None)
    if contacts and rng.random() < (0.3 if personality in BETRAYERS else 0.08):
        victim = rng.choice(contacts).player
        remember(MemoryType.TREATY_BROKEN, clock.past(), {"partner": victim.player_id, "type": TreatyType.NAP},
                 _between(rng, 0.7, 0.95), _between(rng, -0.9, -0.4), players=[victim.player_id],
                 lesson=rng.choice(words.LESSONS["betrayal"]))
    if state["alliance_id"] is not None:
        remember(MemoryType.ALLIANCE_EVENT, clock.past(), {"event": "joined", "alliance_id": state["alliance_id"]},
                 _between(rng, 0.5, 0.8), 0.4)
        for _ in range(rng.randint(0, 3)):
            remember(MemoryType.ALLIANCE_EVENT, clock.past(),
                     {"event": rng.choice(("war_declared", "member_attacked", "wonder_contribution")),
                      "alliance_id": state["alliance_id"]}, _between(rng, 0.3, 0.7), _between(rng, -0.4, 0.4))
    for decision in decisions:
        if decision["decision_type"] == DecisionType.STRATEGIC and decision["used_llm"] and rng.random() < 0.5:
            remember(MemoryType.STRATEGIC_DECISION, decision["created_at"],
                     {"decision": decision["final_decision"], "summary": decision["situation_summary"]},
                     _between(rng, 0.4, 0.8))
    mine = village_ids(me, state["village_count"])
    for _ in range(rng.randint(6, 15)):
        village = rng.choice(mine)
        remember(MemoryType.BUILDING_COMPLETED, clock.past(), {
            "building": rng.choice(words.BUILDINGS), "level": rng.randint(1, 20), "village_id": village},
            _between(rng, 0.05, 0.35), villages=[village])
    for village in mine[1:]:
        if rng.random() < 0.5:  # the other villages were founded before the history window
            remember(MemoryType.VILLAGE_FOUNDED, clock.past(), {
                "village_id": village, "x": rng.randint(-200, 200), "y": rng.randint(-200, 200), "settlers": 3},
                _between(rng, 0.7, 0.9), 0.6, villages=[village])
    for _ in range(rng.randint(2, 6)):
        other = rng.choice(contacts).player
        remember(MemoryType.PLAYER_INTERACTION, clock.past(), {
            "player": other.player_id, "interaction": rng.choice(("scouted", "chatted", "visited_profile",
                                                                  "sent_resources"))},
            _between(rng, 0.1, 0.5), players=[other.player_id])
    return memories

