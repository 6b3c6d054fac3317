"""Alliances: members, NPC leader (hand-over by autocomplete), strategy and a validated stance."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from npcs.admin.base import NamedIdsMixin, SharedRowAdmin
from npcs.admin.filters import AllianceStrategyFilter, NPCFilter, WorldFilter
from npcs.forms import AllianceForm
from npcs.models import NPCAlliance, NPCWorldState
from npcs.selectors import STANCE_WORDS, npc_name, people_named, stance_ids, stance_names


class LeaderFilter(NPCFilter):
    title = "NPC leader"
    field = "npc_leader_id"


@admin.register(NPCAlliance)
class NPCAllianceAdmin(NamedIdsMixin, SharedRowAdmin):
    form = AllianceForm
    list_display = ("name", "tag", "world_id", "alliance_id", "leader", "total_members", "npc_members",
                    "alliance_strategy", "stance_short", "total_rank")
    list_filter = (WorldFilter, AllianceStrategyFilter, LeaderFilter)
    list_select_related = ("npc_leader",)
    search_fields = ("name", "tag", "=alliance_id")
    ordering = ("world_id", "name", "id")
    autocomplete_fields = ("npc_leader",)
    # Member counts and totals are the engine's: shown, never written back.
    readonly_fields = ("stance", "npc_member_list", "total_members", "npc_members", "total_rank", "total_population",
                       "total_villages", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("world_id", "alliance_id", "name", "tag", "npc_leader", "alliance_strategy", "edit_token")}),
        ("Members (counted by the engine)", {"fields": ("npc_member_list", ("total_members", "npc_members"),
                                ("total_rank", "total_population", "total_villages"))}),
        ("Diplomatic stance", {"fields": ("allied_alliances", "enemy_alliances", "nap_alliances", "stance"),
                               "description": "An alliance can be in only one of these lists."}),
        ("Timestamps", {"classes": ("collapse",), "fields": ("created_at", "updated_at")}),
    )

    def people_for_page(self, rows):
        return people_named(alliances=[(a.world_id, i) for a in rows for i in stance_ids(a)])

    @admin.display(description="NPC leader", ordering="npc_leader__name")
    def leader(self, obj):
        return npc_name(obj.npc_leader) if obj.npc_leader_id else "—"

    @admin.display(description="stance")
    def stance(self, obj):
        """The stance's alliance ids by name: "allied: [IRON] Iron Pact (#702), …"."""
        if not obj.pk:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}: {}", (
            (word, ", ".join(str(n) for n in names)) for word, names in stance_names(obj, self.people_of(obj)))) or "—"

    @admin.display(description="stance")
    def stance_short(self, obj):
        """The list's narrow column: "allied: [NOEA] #704, [IRLE] #700", the full names on hover."""
        people = self.people_of(obj)
        stance = obj.diplomatic_stance if isinstance(obj.diplomatic_stance, dict) else {}
        parts = []
        for key, word in STANCE_WORDS.items():
            ids = [i for i in stance.get(key) or () if isinstance(i, int)]
            if ids:
                parts.append((", ".join(str(people.alliance(obj.world_id, i)) for i in ids),
                              f"{word}: " + ", ".join(str(people.alliance_tag(obj.world_id, i)) for i in ids)))
        return format_html_join(mark_safe("<br>"), '<span title="{}">{}</span>', parts) or "—"

    @admin.display(description="NPC members")
    def npc_member_list(self, obj):
        """NPCs whose state in this alliance's world names this alliance (one query)."""
        if not obj.pk:
            return "—"
        states = (NPCWorldState.objects.filter(world_id=obj.world_id, alliance_id=obj.alliance_id)
                  .select_related("npc").order_by("alliance_role", "npc__name", "id")[:200])
        return format_html_join(", ", '<a href="{}">{}</a> ({})', (
            (reverse("admin:npcs_npc_overview", args=[s.npc_id]), s.npc.name, s.alliance_role or "member")
            for s in states)) or "—"
