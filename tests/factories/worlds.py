"""Factories for the world databases, building consistent graphs across databases.

Every factory takes `world` (default "testworld") and writes to that world's database. An NPC
village (`NPCVillageConfigFactory`) belongs to an NPC that plays the world, and the village is
owned by that NPC's player id there.
"""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from npcs.models import NPCWorldState
from tests.factories.npcs import NPCWorldStateFactory
from worlds import models
from worlds.choices import Building, VillageType


class _WorldFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    world = "testworld"

    @classmethod
    def _create(cls, model_class, *args, world, **kwargs):
        return model_class.objects.in_world(world).create(*args, **kwargs)

    @classmethod
    def _build(cls, model_class, *args, world, **kwargs):
        return model_class(*args, **kwargs).place_in_world(world)


class VillageFactory(_WorldFactory):
    class Meta:
        model = models.Village

    player_id = factory.Sequence(lambda n: 700_000 + n)
    name = factory.Sequence(lambda n: f"Village {n:04d}")
    x = factory.Sequence(lambda n: n % 400 - 200)
    y = factory.Sequence(lambda n: n // 400)
    population = 120
    wood, clay, iron, wheat = 500, 500, 500, 400
    wood_production = clay_production = iron_production = wheat_production = 30
    buildings = factory.LazyFunction(lambda: {"main_building": 3, "barracks": 1})
    troops = factory.LazyFunction(lambda: {"legionnaire": 20})


def _npc_playing(config) -> int:
    """The NPC whose player owns the village (created, with its world state, when missing)."""
    player_id = config.village.player_id
    state = NPCWorldState.objects.filter(world_id=config.world, player_id=player_id).first()
    return (state or NPCWorldStateFactory(world_id=config.world, player_id=player_id)).npc_id


class NPCVillageConfigFactory(_WorldFactory):
    class Meta:
        model = models.NPCVillageConfig

    village = factory.SubFactory(VillageFactory, world=factory.SelfAttribute("..world"))
    npc_id = factory.LazyAttribute(_npc_playing)
    village_type = VillageType.ECONOMIC
    build_template_name = "resource_boom"
    current_build_phase = "early"
    resource_priority = factory.LazyFunction(lambda: {"wood": 1, "clay": 2, "iron": 3, "wheat": 4})
    build_queue_strategy = factory.LazyFunction(lambda: {"max_queue": 2})
    training_queue_strategy = factory.LazyFunction(lambda: {"units": ["legionnaire"], "batch_size": 10})


class NPCBuildQueueHistoryFactory(_WorldFactory):
    class Meta:
        model = models.NPCBuildQueueHistory

    class Params:
        config = None  # an NPCVillageConfig: the build is in its village, by its NPC

    village = factory.LazyAttribute(lambda o: o.config.village if o.config else VillageFactory(world=o.world))
    npc_id = factory.LazyAttribute(lambda o: o.config.npc_id if o.config else NPCWorldStateFactory(
        world_id=o.world, player_id=o.village.player_id).npc_id)
    building_name = Building.BARRACKS
    from_level = factory.Sequence(lambda n: n % 19)
    to_level = factory.LazyAttribute(lambda o: o.from_level + 1)
    queued_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=3))
    started_at = factory.LazyAttribute(lambda o: o.queued_at + datetime.timedelta(minutes=5))
    completed_at = factory.LazyAttribute(lambda o: o.started_at + datetime.timedelta(minutes=30))
    cost_wood, cost_clay, cost_iron, cost_wheat = 210, 140, 260, 120
    wait_time_seconds = 300
    build_time_seconds = 1800
    priority_score = 0.8
    decision_reason = "more troops"
