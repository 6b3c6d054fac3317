"""NPC world states: the engine's per-world aggregate of an NPC's game (read-mostly)."""

from django.contrib import admin

from npcs.admin.base import ConsoleAdmin
from npcs.admin.filters import NPCFilter, WorldFilter
from npcs.models import NPCWorldState


@admin.register(NPCWorldState)
class NPCWorldStateAdmin(ConsoleAdmin):
    list_display = ("npc", "world_id", "player_id", "rank", "total_population", "village_count", "current_strategy",
                    "threat_level", "state_updated_at")
    list_filter = (WorldFilter, "current_strategy", NPCFilter)
    list_select_related = ("npc",)
    search_fields = ("npc__name", "=player_id")
    ordering = ("world_id", "rank", "id")
    sortable_by = ("world_id", "rank", "state_updated_at")
    autocomplete_fields = ("npc",)
    readonly_fields = ("state_updated_at", "last_login")
