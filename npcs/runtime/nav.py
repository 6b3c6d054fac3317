"""The runtime's entry in the product's navigation (npcadmin.navigation)."""

from npcadmin import navigation
from npcs.runtime.selectors import nav_count_queued

navigation.register(navigation.Area(
    "runtime", "Runtime", "runtime:overview", "Live queues, rate limits, LLM cache, Redis keys",
    permission="npcadmin.view_runtime", count=nav_count_queued, order=40))
