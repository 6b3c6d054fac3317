"""Behaviour templates that fit each personality, for new NPCs, the demo world and the factories.

`PERSONALITY_PRESETS` is the starting point of `npcs.behavior_template`: six weights in 0..1
(see `npcs.choices.BEHAVIOR_WEIGHTS`), the buildings the NPC favours and its goals. The
aggressive preset is the seed's own example; the others are drawn so that each personality is
recognisable by its strongest weight.
"""

from __future__ import annotations

import random
from types import MappingProxyType

from npcs.choices import Personality

PERSONALITY_PRESETS = MappingProxyType({
    Personality.AGGRESSIVE: {"aggression": 0.9, "economy": 0.3, "diplomacy": 0.2, "risk_tolerance": 0.85,
                             "patience": 0.2, "adaptability": 0.7,
                             "building_priority": ["barracks", "stable", "workshop"],
                             "goals": ["maximize_conquest", "build_army"]},
    Personality.ECONOMIC: {"aggression": 0.2, "economy": 0.9, "diplomacy": 0.5, "risk_tolerance": 0.3,
                           "patience": 0.8, "adaptability": 0.5,
                           "building_priority": ["woodcutter", "clay_pit", "marketplace"],
                           "goals": ["maximize_production", "trade_surplus"]},
    Personality.BALANCED: {"aggression": 0.5, "economy": 0.5, "diplomacy": 0.5, "risk_tolerance": 0.5,
                           "patience": 0.5, "adaptability": 0.6,
                           "building_priority": ["warehouse", "barracks", "granary"],
                           "goals": ["steady_growth"]},
    Personality.DIPLOMAT: {"aggression": 0.15, "economy": 0.6, "diplomacy": 0.95, "risk_tolerance": 0.3,
                           "patience": 0.85, "adaptability": 0.8,
                           "building_priority": ["embassy", "marketplace", "residence"],
                           "goals": ["form_alliances", "broker_peace"]},
    Personality.ASSASSIN: {"aggression": 0.8, "economy": 0.35, "diplomacy": 0.4, "risk_tolerance": 0.9,
                           "patience": 0.6, "adaptability": 0.9,
                           "building_priority": ["stable", "academy", "rally_point"],
                           "goals": ["eliminate_leaders", "raid_weak_targets"]},
})

# Small enough that a jittered template is still nearest its own preset: the closest two presets
# (aggressive, assassin) are 1.0 apart summed over the six weights, a template moves at most 6 × 0.08.
JITTER = 0.08


def template_for(personality: str, rng: random.Random | None = None) -> dict:
    """A fresh behaviour template for `personality`, each weight jittered by up to ±JITTER when `rng` is given."""
    preset = PERSONALITY_PRESETS[Personality(personality)]
    template = {}
    for key, value in preset.items():
        if isinstance(value, float):
            if rng is not None:
                value = round(min(1.0, max(0.0, value + rng.uniform(-JITTER, JITTER))), 2)
            template[key] = value
        else:
            template[key] = list(value)
    return template


def preset_template(personality: str) -> dict:
    """A fresh copy of the preset for `personality`, safe to modify (the console's starting point)."""
    return template_for(personality)
