"""The baseline: Django's stock admin over the same tables, with nothing tuned.

Plain `admin.ModelAdmin`s on their own `AdminSite`, mounted only by `bench.urls`. The list
filters are there only so the same filter URLs are accepted (the stock admin refuses
lookups it does not offer); everything else is Django's default: a full COUNT(*) per page,
OFFSET pagination, a related-field filter that lists every NPC.
"""

from django.contrib import admin

from npcs.models import NPCDecision, NPCMemory

stock_site = admin.AdminSite(name="stock_admin")


class StockDecisionAdmin(admin.ModelAdmin):
    list_display = ("id", "npc", "world_id", "decision_type", "used_llm", "created_at")
    list_filter = ("decision_type", "npc", "created_at")


class StockMemoryAdmin(admin.ModelAdmin):
    list_display = ("id", "npc", "world_id", "memory_type", "importance", "occurred_at")
    list_filter = ("memory_type", "npc", "occurred_at")


stock_site.register(NPCDecision, StockDecisionAdmin)
stock_site.register(NPCMemory, StockMemoryAdmin)
