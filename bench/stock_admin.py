"""The baseline: Django's stock admin over the same tables, made lean (issue 16).

Plain `admin.ModelAdmin`s on their own `AdminSite`, mounted only by `bench.urls`, with no list
filters: the sidebar's related-field filter listing every NPC (and its per-page queries) made the
earlier baseline slower than any stock admin a team would really run, flattering the ratios.
`lookup_allowed` accepts every lookup so the same filter URLs still work without the sidebar.
Everything else is Django's default: a full COUNT(*) per page, OFFSET pagination, per-cell
rendering (`items_for_result`).
"""

from django.contrib import admin

from npcs.models import NPCDecision, NPCMemory

stock_site = admin.AdminSite(name="stock_admin")


class LeanStockAdmin(admin.ModelAdmin):
    def lookup_allowed(self, lookup, value, request=None):
        return True


class StockDecisionAdmin(LeanStockAdmin):
    list_display = ("id", "npc", "world_id", "decision_type", "used_llm", "created_at")


class StockMemoryAdmin(LeanStockAdmin):
    list_display = ("id", "npc", "world_id", "memory_type", "importance", "occurred_at")


stock_site.register(NPCDecision, StockDecisionAdmin)
stock_site.register(NPCMemory, StockMemoryAdmin)
