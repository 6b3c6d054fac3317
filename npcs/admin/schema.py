"""Schema versions and template history: records, read-only."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from npcs.admin.base import EngineLogAdmin, pretty
from npcs.admin.filters import NPCFilter
from npcs.models import NPCTemplateHistory, SchemaVersion


@admin.register(SchemaVersion)
class SchemaVersionAdmin(EngineLogAdmin):
    list_display = ("version", "description", "applied_at")
    ordering = ("-applied_at", "-id")
    search_fields = ("version",)

    @admin.display(description="description")
    def pretty_description(self, obj):
        return pretty(obj.description)

    @admin.display(description="rollback script")
    def pretty_rollback_script(self, obj):
        return pretty(obj.rollback_script)


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

    @admin.display(description="behavior template")
    def pretty_behavior_template(self, obj):
        return pretty(obj.behavior_template)

    @admin.display(description="previous template")
    def pretty_previous_template(self, obj):
        return pretty(obj.previous_template)

