"""What every console admin shares: no full-table counts, no facets, formatted JSON and prompts."""

from __future__ import annotations

import json

from django.contrib import admin
from django.db import models
from django.utils.html import format_html

from npcadmin.paginators import EstimatedCountPaginator, KeysetChangeList


def pretty(value) -> str:
    """JSON payloads indented, text (prompts, responses) kept as written, both in a <pre>."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        if value.lstrip()[:1] in ("{", "["):  # an LLM response that is JSON: indent it too
            try:
                value = json.loads(value)
            except ValueError:
                return format_html('<pre class="npc-text">{}</pre>', value)
        else:
            return format_html('<pre class="npc-text">{}</pre>', value)
    return format_html('<pre class="npc-json">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False,
                                                                      sort_keys=True, default=str))


class ConsoleAdmin(admin.ModelAdmin):
    """A changelist that never runs `COUNT(*)` over its table and never computes facets."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    list_max_show_all = 200

    class Media:
        css = {"all": ("npcs/console.css",)}


class EngineLogAdmin(ConsoleAdmin):
    """A log the NPC engine writes: read-only except `editable_fields`, JSON and prompts formatted.

    Detail pages show `pretty_<field>` for every JSON and long-text field.
    """

    editable_fields: tuple[str, ...] = ()
    actions = None

    def get_changelist(self, request, **kwargs):
        # "Older →" seeks from the last row shown (?cursor=): deep pages cost what the first does.
        return KeysetChangeList

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return bool(self.editable_fields) and super().has_change_permission(request, obj)

    def _shown_fields(self) -> list[str]:
        names = []
        for field in self.model._meta.concrete_fields:
            if isinstance(field, models.JSONField | models.TextField) and field.name not in self.editable_fields:
                names.append(f"pretty_{field.name}")
            else:
                names.append(field.name)
        return names

    def get_fields(self, request, obj=None):
        return self._shown_fields()

    def get_readonly_fields(self, request, obj=None):
        return [name for name in self._shown_fields() if name not in self.editable_fields]

    def __getattr__(self, name):
        if name.startswith("pretty_"):
            field_name = name.removeprefix("pretty_")
            try:
                field = self.model._meta.get_field(field_name)
            except Exception as exc:
                raise AttributeError(name) from exc

            def display(obj):
                return pretty(getattr(obj, field_name))

            display.short_description = field.verbose_name
            return display
        raise AttributeError(name)
