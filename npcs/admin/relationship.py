"""Relationships: trust, type and treaties of an NPC towards a player, edited with validation."""

from django.contrib import admin
from django.utils.html import format_html_join

from npcs.admin import actions
from npcs.admin.base import NamedIdsMixin, SharedRowAdmin, pretty
from npcs.admin.filters import NPCFilter, WorldFilter
from npcs.forms import RelationshipForm
from npcs.models import NPCRelationship
from npcs.selectors import npc_name, people_named


@admin.register(NPCRelationship)
class NPCRelationshipAdmin(NamedIdsMixin, SharedRowAdmin):
    form = RelationshipForm
    list_display = ("npc_name", "target", "world_id", "relationship_type", "trust_score", "treaties",
                    "total_interactions", "last_interaction_at")
    list_filter = ("relationship_type", WorldFilter, NPCFilter)
    list_select_related = ("npc",)
    search_fields = ("npc__name", "=target_player_id")
    search_help_text = "NPC name (contains) or exact target player id."
    ordering = ("-trust_score", "id")
    sortable_by = ("trust_score", "relationship_type")
    autocomplete_fields = ("npc",)
    actions = (actions.set_relationship_type,)
    # The interaction history, intelligence and predictions are the engine's: shown, never written back.
    readonly_fields = ("target", "total_interactions", "last_interaction_type", "last_interaction_at",
                       "battles_won_against", "battles_lost_against", "resources_raided_from", "resources_lost_to",
                       "messages_sent",
                       "messages_received", "known_villages_display", "known_army_composition_display",
                       "activity_pattern_display", "predicted_next_action", "prediction_confidence", "predicted_at",
                       "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("npc", "world_id", ("target_player_id", "target"), "relationship_type", "trust_score",
                           "edit_token")}),
        ("Treaties", {"fields": ("treaties_active",)}),
        ("History (written by the engine)", {"fields": (
                                ("total_interactions", "last_interaction_type", "last_interaction_at"),
                                ("battles_won_against", "battles_lost_against"),
                                ("resources_raided_from", "resources_lost_to"),
                                ("messages_sent", "messages_received"))}),
        ("Intelligence (written by the engine)", {"fields": ("known_villages_display", "known_army_composition_display",
                                     "activity_pattern_display",
                                     ("predicted_next_action", "prediction_confidence", "predicted_at"))}),
        ("Timestamps", {"classes": ("collapse",), "fields": ("created_at", "updated_at")}),
    )

    def people_for_page(self, rows):
        return people_named(players=[(r.world_id, r.target_player_id) for r in rows])

    @admin.display(description="NPC", ordering="npc__name")
    def npc_name(self, obj):
        return npc_name(obj.npc)

    @admin.display(description="target player")
    def target(self, obj):
        if obj.target_player_id is None:
            return "—"
        return self.people_of(obj).player(obj.world_id, obj.target_player_id)

    @admin.display(description="treaties")
    def treaties(self, obj):
        items = obj.treaties_active if isinstance(obj.treaties_active, list) else []
        return format_html_join(", ", "{}", ((t.get("type", "?"),) for t in items if isinstance(t, dict))) or "—"

    @admin.display(description="known villages")
    def known_villages_display(self, obj):
        return pretty(obj.known_villages)

    @admin.display(description="known army composition")
    def known_army_composition_display(self, obj):
        return pretty(obj.known_army_composition)

    @admin.display(description="activity pattern")
    def activity_pattern_display(self, obj):
        return pretty(obj.activity_pattern)
