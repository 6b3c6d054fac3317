"""The world databases' entry in the product's navigation (npcadmin.navigation)."""

from npcadmin import navigation
from worlds.selectors import nav_count_worlds

navigation.register(navigation.Area(
    "worlds", "Worlds", "worlds:index", "Villages, build queues, per-world configuration",
    permission="npcadmin.view_worlds", count=nav_count_worlds, order=20))
