"""Schema versions and template history: records, read-only."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from npcs.admin.base import EngineLogAdmin
from npcs.admin.filters import NPCFilter
from npcs.models import NPCTemplateHistory, SchemaVersion


@admin.register(SchemaVersion)
class SchemaVersionAdmin(EngineLogAdmin):
    list_display = ("version", "description", "applied_at")
    ordering = ("-applied_at", "-id")
    search_fields = ("version",)


@admin.register(NPCTemplateHistory)
class NPCTemplateHistoryAdmin(EngineLogAdmin):
    list_display = ("changed_at", "npc", "version", "changed_by", "reason", "restore")
    list_filter = (NPCFilter,)
    list_select_related = ("npc", "changed_by")
    ordering = ("-changed_at", "-id")

    @admin.display(description="")
    def restore(self, obj):
        return format_html('<a href="{}">restore…</a>',
                           reverse("admin:npcs_npc_template_restore", args=[obj.npc_id, obj.pk]))
