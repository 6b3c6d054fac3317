"""Object graphs for console tests: an NPC with something in every table that hangs off it."""

from __future__ import annotations

from tests.factories.npcs import (
    NPCBattleFactory,
    NPCDecisionFactory,
    NPCFactory,
    NPCMemoryFactory,
    NPCMessageFactory,
    NPCRelationshipFactory,
    NPCTradeFactory,
    NPCWorldStateFactory,
)


def npc_with_history(*, rows: int = 2, messages: int = 0, **npc_fields):
    """An NPC playing two worlds with `rows` rows in each of its logs (and `messages` messages sent)."""
    npc = NPCFactory(**npc_fields)
    NPCWorldStateFactory(npc=npc, world_id="testworld")
    NPCWorldStateFactory(npc=npc, world_id="demo", current_strategy="military")
    for _ in range(rows):
        NPCRelationshipFactory(npc=npc)
        NPCMemoryFactory(npc=npc)
        NPCDecisionFactory(npc=npc, used_llm=True, llm_prompt="You are an NPC.", llm_response='{"action": "build"}')
        NPCBattleFactory(npc=npc)
        NPCTradeFactory(npc=npc)
    for _ in range(messages):
        NPCMessageFactory(from_npc=npc)
    return npc
