"""The engine's logs (memories, decisions, battles, trades, messages): read-only, filterable, formatted.

A game master may change only what has a reason: a memory's importance and expiry, a message's
outcome. Every list uses the estimating paginator and indexed orderings.
"""

from django.contrib import admin

from npcs.admin.base import EngineLogAdmin
from npcs.admin.filters import DateRangeFilter, NPCFilter, SenderFilter, WorldFilter
from npcs.models import NPCBattle, NPCDecision, NPCMemory, NPCMessage, NPCTrade


@admin.register(NPCMemory)
class NPCMemoryAdmin(EngineLogAdmin):
    editable_fields = ("importance", "expires_at")
    list_display = ("occurred_at", "npc", "world_id", "memory_type", "importance", "emotional_weight",
                    "lesson_learned")
    list_filter = ("memory_type", WorldFilter, ("occurred_at", DateRangeFilter), NPCFilter)
    list_select_related = ("npc",)
    ordering = ("-occurred_at", "-id")
    sortable_by = ("occurred_at",)


@admin.register(NPCDecision)
class NPCDecisionAdmin(EngineLogAdmin):
    list_display = ("created_at", "npc", "world_id", "decision_type", "used_llm", "llm_latency_ms", "executed",
                    "outcome_success", "decision_confidence")
    list_filter = ("decision_type", "used_llm", "executed", "outcome_success", WorldFilter,
                   ("created_at", DateRangeFilter), NPCFilter)
    list_select_related = ("npc",)
    ordering = ("-created_at", "-id")
    sortable_by = ("created_at",)


@admin.register(NPCBattle)
class NPCBattleAdmin(EngineLogAdmin):
    list_display = ("occurred_at", "npc", "world_id", "battle_type", "npc_role", "result", "resources_gained",
                    "resources_lost", "prediction_accuracy")
    list_filter = ("result", "battle_type", "npc_role", WorldFilter, ("occurred_at", DateRangeFilter), NPCFilter)
    list_select_related = ("npc",)
    ordering = ("-occurred_at", "-id")
    sortable_by = ("occurred_at",)


@admin.register(NPCTrade)
class NPCTradeAdmin(EngineLogAdmin):
    list_display = ("created_at", "npc", "world_id", "trade_type", "offered", "requested", "exchange_rate",
                    "profit_margin", "trade_status")
    list_filter = ("trade_status", "trade_type", WorldFilter, ("created_at", DateRangeFilter), NPCFilter)
    list_select_related = ("npc",)
    ordering = ("-created_at", "-id")
    sortable_by = ("created_at",)

    @admin.display(description="offered")
    def offered(self, obj):
        return f"{obj.offered_amount or 0} {obj.offered_resource or ''}".strip()

    @admin.display(description="requested")
    def requested(self, obj):
        return f"{obj.requested_amount or 0} {obj.requested_resource or ''}".strip()


@admin.register(NPCMessage)
class NPCMessageAdmin(EngineLogAdmin):
    editable_fields = ("response_received", "response_positive", "objective_achieved")
    list_display = ("sent_at", "from_npc", "world_id", "to_player_id", "message_type", "subject",
                    "generated_by_llm", "response_positive", "objective_achieved")
    list_filter = ("message_type", "generated_by_llm", "objective_achieved", "response_positive", WorldFilter,
                   ("sent_at", DateRangeFilter), SenderFilter)
    list_select_related = ("from_npc",)
    ordering = ("-sent_at", "-id")
    sortable_by = ("sent_at",)
