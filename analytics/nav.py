"""The dashboards' entry in the product's navigation (npcadmin.navigation)."""

from analytics.selectors import nav_count_samples
from npcadmin import navigation

navigation.register(navigation.Area(
    "analytics", "Analytics", "analytics:index", "Ranks, battles, economy, diplomacy over time",
    permission="npcadmin.view_analytics", count=nav_count_samples, order=50))
