"""The NPCs console's entry in the product's navigation (npcadmin.navigation)."""

from npcadmin import navigation
from npcs.selectors import nav_count_npcs

navigation.register(navigation.Area(
    "npcs", "NPCs console", "admin:npcs_npc_changelist", "Templates, pauses, memories, relationships",
    permission="npcs.view_npc", count=nav_count_npcs, order=10))
