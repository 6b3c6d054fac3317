"""NPC world states: the engine's per-world aggregate of an NPC's game; the console steers strategy only."""

from django.contrib import admin

from npcs.admin.base import SharedRowAdmin
from npcs.admin.filters import NPCFilter, WorldFilter
from npcs.forms import WorldStateForm
from npcs.models import NPCWorldState

# Everything the engine aggregates from the world: shown, never written back by the console.
ENGINE_OWNED = ("rank", "total_population", "village_count", "total_wood", "total_clay", "total_iron", "total_wheat",
                "offensive_power", "defensive_power", "total_troops", "production_rate_wood", "production_rate_clay",
                "production_rate_iron", "production_rate_wheat", "state_updated_at", "last_login")


@admin.register(NPCWorldState)
class NPCWorldStateAdmin(SharedRowAdmin):
    form = WorldStateForm
    list_display = ("npc", "world_id", "player_id", "rank", "total_population", "village_count", "current_strategy",
                    "threat_level", "state_updated_at")
    list_filter = (WorldFilter, "current_strategy", NPCFilter)
    list_select_related = ("npc",)
    search_fields = ("npc__name", "=player_id")
    ordering = ("world_id", "rank", "id")
    sortable_by = ("world_id", "rank", "state_updated_at")
    autocomplete_fields = ("npc",)
    readonly_fields = ENGINE_OWNED
    fieldsets = (
        (None, {"fields": ("npc", "world_id", "player_id", "edit_token")}),
        ("Strategy", {"fields": ("current_strategy", "strategic_goal", "threat_level",
                                 ("alliance_id", "alliance_role"))}),
        ("Game state (written by the engine)", {"fields": (
            ("rank", "total_population", "village_count"),
            ("total_wood", "total_clay", "total_iron", "total_wheat"),
            ("offensive_power", "defensive_power", "total_troops"),
            ("production_rate_wood", "production_rate_clay", "production_rate_iron", "production_rate_wheat"),
            ("state_updated_at", "last_login"))}),
    )
