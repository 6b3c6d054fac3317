"""Personality presets: valid templates, jitter that keeps the personality, fresh copies."""

import random

import pytest

from npcs.choices import BEHAVIOR_WEIGHTS, Personality
from npcs.models.npc import validate_behavior_template
from npcs.presets import PERSONALITY_PRESETS, template_for


def test_there_is_a_valid_preset_for_every_personality():
    assert set(PERSONALITY_PRESETS) == set(Personality)
    for preset in PERSONALITY_PRESETS.values():
        validate_behavior_template(preset)
        assert set(BEHAVIOR_WEIGHTS) <= set(preset)


@pytest.mark.parametrize("personality", Personality.values)
def test_jittered_templates_keep_their_personality(personality):
    rng = random.Random(personality)
    for _ in range(200):
        template = template_for(personality, rng)
        validate_behavior_template(template)

        def distance(other, template=template):
            return sum(abs(template[k] - PERSONALITY_PRESETS[other][k]) for k in BEHAVIOR_WEIGHTS)

        assert min(Personality, key=distance) == personality


def test_templates_are_fresh_copies():
    template = template_for("diplomat")
    template["goals"].append("betray_everyone")
    template["aggression"] = 1.0
    assert "betray_everyone" not in PERSONALITY_PRESETS[Personality.DIPLOMAT]["goals"]
    assert template_for("diplomat")["aggression"] == 0.15
