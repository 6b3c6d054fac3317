"""The mind's entry in the product's navigation (npcadmin.navigation)."""

from npcadmin import navigation
from npcs.selectors import nav_count_decisions

navigation.register(navigation.Area(
    "mind", "Mind", "mind:decisions_overview", "LLM use, decision traces, memory recall",
    permission="npcadmin.view_mind", count=nav_count_decisions, order=30))
