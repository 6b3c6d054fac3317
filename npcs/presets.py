"""Behaviour templates that fit each personality: the starting point of a new NPC."""

from __future__ import annotations

import copy

from npcs.choices import Personality

PERSONALITY_PRESETS: dict[str, dict] = {
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
}


def preset_template(personality: str) -> dict:
    """A fresh (deep) copy of the preset for `personality`, safe to modify."""
    return copy.deepcopy(PERSONALITY_PRESETS[Personality(personality)])
