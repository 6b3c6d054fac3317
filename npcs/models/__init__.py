"""The global NPC database (the seed's contract with the NPC engine)."""

from npcs.models.alliance import NPCAlliance
from npcs.models.battle import NPCBattle
from npcs.models.decision import NPCDecision
from npcs.models.memory import NPCMemory
from npcs.models.message import NPCMessage
from npcs.models.npc import NPC, NPCWorldState
from npcs.models.relationship import NPCRelationship
from npcs.models.schema_version import SchemaVersion
from npcs.models.template_history import NPCTemplateHistory
from npcs.models.trade import NPCTrade

__all__ = [
    "NPC",
    "NPCAlliance",
    "NPCBattle",
    "NPCDecision",
    "NPCMemory",
    "NPCMessage",
    "NPCRelationship",
    "NPCTemplateHistory",
    "NPCTrade",
    "NPCWorldState",
    "SchemaVersion",
]
