"""The engine's logs (memories, decisions, battles, trades, messages): read-only, filterable, formatted.

A game master may change only what has a reason: a memory's importance and expiry, a message's
outcome. Every list uses the estimating paginator and indexed orderings.
"""

from django.contrib import admin

from npcs.admin.base import EngineLogAdmin, pretty
from npcs.admin.filters import DateRangeFilter, NPCFilter, SenderFilter, WorldFilter
from npcs.models import NPCBattle, NPCDecision, NPCMemory, NPCMessage, NPCTrade


@admin.register(NPCMemory)
class NPCMemoryAdmin(EngineLogAdmin):
    editable_fields = ("importance", "expires_at")
    list_display = ("occurred_at", "npc", "world_id", "memory_type", "importance", "emotional_weight",
                    "lesson_learned")
    list_filter = ("memory_type", WorldFilter, ("occurred_at", DateRangeFilter), NPCFilter)
    list_select_related = ("npc",)
    list_related_columns = {"npc": ("name",)}
    ordering = ("-occurred_at", "-id")
    sortable_by = ("occurred_at",)

    @admin.display(description="event data")
    def pretty_event_data(self, obj):
        return pretty(obj.event_data)

    @admin.display(description="lesson learned")
    def pretty_lesson_learned(self, obj):
        return pretty(obj.lesson_learned)

    @admin.display(description="behavior adjustment")
    def pretty_behavior_adjustment(self, obj):
        return pretty(obj.behavior_adjustment)


@admin.register(NPCDecision)
class NPCDecisionAdmin(EngineLogAdmin):
    list_display = ("created_at", "npc", "world_id", "decision_type", "used_llm", "llm_latency_ms", "executed",
                    "outcome_success", "decision_confidence")
    list_filter = ("decision_type", "used_llm", "executed", "outcome_success", WorldFilter,
                   ("created_at", DateRangeFilter), NPCFilter)
    list_select_related = ("npc",)
    list_related_columns = {"npc": ("name",)}
    ordering = ("-created_at", "-id")
    sortable_by = ("created_at",)

    @admin.display(description="situation summary")
    def pretty_situation_summary(self, obj):
        return pretty(obj.situation_summary)

    @admin.display(description="llm prompt")
    def pretty_llm_prompt(self, obj):
        return pretty(obj.llm_prompt)

    @admin.display(description="llm response")
    def pretty_llm_response(self, obj):
        return pretty(obj.llm_response)

    @admin.display(description="rule based recommendation")
    def pretty_rule_based_recommendation(self, obj):
        return pretty(obj.rule_based_recommendation)

    @admin.display(description="final decision")
    def pretty_final_decision(self, obj):
        return pretty(obj.final_decision)

    @admin.display(description="execution result")
    def pretty_execution_result(self, obj):
        return pretty(obj.execution_result)

    @admin.display(description="outcome data")
    def pretty_outcome_data(self, obj):
        return pretty(obj.outcome_data)


@admin.register(NPCBattle)
class NPCBattleAdmin(EngineLogAdmin):
    list_display = ("occurred_at", "npc", "world_id", "battle_type", "npc_role", "result", "resources_gained",
                    "resources_lost", "prediction_accuracy")
    list_filter = ("result", "battle_type", "npc_role", WorldFilter, ("occurred_at", DateRangeFilter), NPCFilter)
    list_select_related = ("npc",)
    list_related_columns = {"npc": ("name",)}
    ordering = ("-occurred_at", "-id")
    sortable_by = ("occurred_at",)

    @admin.display(description="my troops sent")
    def pretty_my_troops_sent(self, obj):
        return pretty(obj.my_troops_sent)

    @admin.display(description="my troops survived")
    def pretty_my_troops_survived(self, obj):
        return pretty(obj.my_troops_survived)

    @admin.display(description="enemy troops estimated")
    def pretty_enemy_troops_estimated(self, obj):
        return pretty(obj.enemy_troops_estimated)

    @admin.display(description="enemy troops killed")
    def pretty_enemy_troops_killed(self, obj):
        return pretty(obj.enemy_troops_killed)

    @admin.display(description="prediction made")
    def pretty_prediction_made(self, obj):
        return pretty(obj.prediction_made)

    @admin.display(description="tactical lesson")
    def pretty_tactical_lesson(self, obj):
        return pretty(obj.tactical_lesson)

    @admin.display(description="strategy adjustment")
    def pretty_strategy_adjustment(self, obj):
        return pretty(obj.strategy_adjustment)


@admin.register(NPCTrade)
class NPCTradeAdmin(EngineLogAdmin):
    list_display = ("created_at", "npc", "world_id", "trade_type", "offered", "requested", "exchange_rate",
                    "profit_margin", "trade_status")
    list_filter = ("trade_status", "trade_type", WorldFilter, ("created_at", DateRangeFilter), NPCFilter)
    list_select_related = ("npc",)
    list_related_columns = {"npc": ("name",)}
    ordering = ("-created_at", "-id")
    sortable_by = ("created_at",)
    list_extra_columns_for = ("offered", "requested")
    list_extra_columns = ("offered_amount", "offered_resource", "requested_amount", "requested_resource")

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
    list_related_columns = {"from_npc": ("name",)}
    ordering = ("-sent_at", "-id")
    sortable_by = ("sent_at",)

    @admin.display(description="message body")
    def pretty_message_body(self, obj):
        return pretty(obj.message_body)

    @admin.display(description="llm prompt")
    def pretty_llm_prompt(self, obj):
        return pretty(obj.llm_prompt)

