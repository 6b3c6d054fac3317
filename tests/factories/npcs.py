"""Factories for the global NPC database, building consistent graphs.

An NPC's relationships, memories, decisions, battles and trades are in a world it plays
(`NPCWorldStateFactory` gives it one); templates fit the personality.
"""

from __future__ import annotations

import datetime
import random

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from npcs import models
from npcs.choices import (
    BattleResult,
    BattleType,
    DecisionType,
    MemoryType,
    MessageType,
    Personality,
    RelationshipType,
    Resource,
    TradeStatus,
    TradeType,
    Tribe,
)
from npcs.presets import PERSONALITY_PRESETS

WORLDS = ("testworld", "demo")

# One source of truth for personality templates: the presets the console creates NPCs from.
PERSONALITY_TEMPLATES = PERSONALITY_PRESETS


def template_for(personality: str, rng: random.Random | None = None) -> dict:
    """A behaviour template that fits the personality, jittered a little per NPC."""
    template = dict(PERSONALITY_TEMPLATES[Personality(personality)])
    if rng is not None:
        for key, value in template.items():
            if isinstance(value, float):
                template[key] = round(min(1.0, max(0.0, value + rng.uniform(-0.08, 0.08))), 2)
    template["building_priority"] = list(template["building_priority"])
    template["goals"] = list(template["goals"])
    return template


class NPCFactory(DjangoModelFactory):
    class Meta:
        model = models.NPC

    name = factory.Sequence(lambda n: f"npc-{n:05d}")
    tribe = factory.Iterator(Tribe.values)
    personality = factory.Iterator(Personality.values)
    behavior_template = factory.LazyAttribute(lambda o: template_for(o.personality))


class NPCWorldStateFactory(DjangoModelFactory):
    class Meta:
        model = models.NPCWorldState

    npc = factory.SubFactory(NPCFactory)
    world_id = "testworld"
    player_id = factory.Sequence(lambda n: 1000 + n)
    rank = factory.Sequence(lambda n: n + 1)
    total_population = factory.Faker("random_int", min=50, max=5000)
    village_count = factory.Faker("random_int", min=1, max=6)
    current_strategy = "economic"


class _NPCInWorld(DjangoModelFactory):
    """Base for rows that belong to an NPC in a world the NPC plays."""

    class Meta:
        abstract = True

    npc = factory.SubFactory(NPCFactory)
    world_id = factory.LazyAttribute(lambda o: _world_of(o.npc))


def _world_of(npc) -> str:
    state = npc.world_states.order_by("id").first() if npc and npc.pk else None
    return state.world_id if state else "testworld"


class NPCRelationshipFactory(_NPCInWorld):
    class Meta:
        model = models.NPCRelationship

    target_player_id = factory.Sequence(lambda n: 5000 + n)
    trust_score = 10
    relationship_type = RelationshipType.NEUTRAL
    treaties_active = factory.LazyFunction(list)


class NPCMemoryFactory(_NPCInWorld):
    class Meta:
        model = models.NPCMemory

    memory_type = MemoryType.BATTLE
    event_data = factory.LazyFunction(lambda: {"battle_id": 1, "opponent": "PlayerXYZ", "result": "victory"})
    importance = 0.5
    occurred_at = factory.LazyFunction(timezone.now)


class NPCDecisionFactory(_NPCInWorld):
    class Meta:
        model = models.NPCDecision

    decision_type = DecisionType.ECONOMIC
    situation_summary = "Warehouse nearly full; clay production lagging."
    used_llm = False
    rule_based_recommendation = factory.LazyFunction(lambda: {"action": "build", "building": "clay_pit"})
    final_decision = factory.LazyFunction(lambda: {"action": "build", "building": "clay_pit"})
    decision_latency_ms = 12
    decision_confidence = 0.8


class NPCAllianceFactory(DjangoModelFactory):
    class Meta:
        model = models.NPCAlliance

    world_id = "testworld"
    alliance_id = factory.Sequence(lambda n: 100 + n)
    name = factory.Sequence(lambda n: f"Alliance {n}")
    tag = factory.Sequence(lambda n: f"A{n}")


class NPCMessageFactory(DjangoModelFactory):
    class Meta:
        model = models.NPCMessage

    from_npc = factory.SubFactory(NPCFactory)
    world_id = factory.LazyAttribute(lambda o: _world_of(o.from_npc))
    to_player_id = factory.Sequence(lambda n: 5000 + n)
    message_body = "Greetings, neighbour. Shall we keep the peace?"
    message_type = MessageType.DIPLOMATIC_MESSAGE


class NPCBattleFactory(_NPCInWorld):
    class Meta:
        model = models.NPCBattle

    battle_id = factory.Sequence(lambda n: 10000 + n)
    battle_type = BattleType.ATTACK
    attacker_id = factory.Sequence(lambda n: 1000 + n)
    defender_id = factory.Sequence(lambda n: 5000 + n)
    npc_role = "attacker"
    result = BattleResult.VICTORY
    occurred_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))


class NPCTradeFactory(_NPCInWorld):
    class Meta:
        model = models.NPCTrade

    trade_id = factory.Sequence(lambda n: 20000 + n)
    trade_type = TradeType.OFFER_CREATED
    offered_resource = Resource.WOOD
    offered_amount = 1000
    requested_resource = Resource.CLAY
    requested_amount = 900
    exchange_rate = 0.9
    market_rate_at_time = 1.0
    profit_margin = -0.1
    trade_status = TradeStatus.COMPLETED


class SchemaVersionFactory(DjangoModelFactory):
    class Meta:
        model = models.SchemaVersion

    version = factory.Sequence(lambda n: f"1.0.{n + 1}")
    description = "test version"
