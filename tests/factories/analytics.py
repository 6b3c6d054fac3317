"""Factories for the time series: raw samples in `npc_metrics`."""

from __future__ import annotations

import datetime

import factory
from factory.django import DjangoModelFactory

from analytics.models import NPCMetric

T0 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)


class NPCMetricFactory(DjangoModelFactory):
    """A sample; give `npc_id` (metrics carry no foreign key) and `time`."""

    class Meta:
        model = NPCMetric

    time = factory.Sequence(lambda n: T0 + datetime.timedelta(minutes=n))
    npc_id = 1
    world_id = "testworld"
    wood = 1000
    clay = 900
    iron = 800
    wheat = 700
    wood_production = 100
    clay_production = 90
    iron_production = 80
    wheat_production = 70
    offensive_power = 500
    defensive_power = 400
    total_troops = 50
    rank = 10
    population = 300
    villages = 1
    economic_efficiency = 0.5
    military_efficiency = 0.4
    diplomatic_score = 0.3
