"""Factories for the mind pages: LLM decisions with outcomes, memories with lessons."""

from __future__ import annotations

import factory

from npcs.choices import MemoryType
from tests.factories.npcs import NPCDecisionFactory, NPCMemoryFactory


class LessonMemoryFactory(NPCMemoryFactory):
    """A battle memory that taught the NPC something and nudged its behaviour."""

    event_data = factory.Sequence(lambda n: {"battle_id": 12345 + n, "opponent": "PlayerXYZ", "result": "victory"})
    memory_type = MemoryType.BATTLE
    lesson_learned = "Raiding PlayerXYZ at night pays off"
    behavior_adjustment = factory.LazyFunction(lambda: {"aggression": 0.05, "reason": "Won with 90% of force left"})


class LLMDecisionFactory(NPCDecisionFactory):
    """A decision the LLM made, with its exchange and a measured outcome."""

    used_llm = True
    llm_prompt = "You are an economic Roman NPC. Situation: warehouse nearly full. Reply with JSON."
    llm_response = '{"action": "build", "building": "warehouse"}'
    llm_latency_ms = 800
    final_decision = factory.LazyFunction(lambda: {"action": "build", "building": "warehouse"})
    executed = True
    outcome_measured = True
    outcome_success = True
