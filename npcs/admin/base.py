"""What every console admin shares: no full-table counts, no facets, formatted JSON and prompts."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.http import HttpResponseRedirect
from django.utils.html import format_html

from npcadmin.admin_filters import StrictLookupsMixin
from npcadmin.audit import AuditedAdminMixin
from npcadmin.edits import RowLocked, SharedRowForm, save_changed_columns
from npcadmin.jsonb import json_text
from npcadmin.paginators import EstimatedCountPaginator, KeysetChangeList


def pretty(value) -> str:
    """JSON payloads indented, text (prompts, responses) kept as written, both in a <pre>."""
    if value is None or value == "":
        return "—"
    text = json_text(value)  # an LLM response that is JSON is indented too
    if text is None:
        return format_html('<pre class="npc-text">{}</pre>', value)
    return format_html('<pre class="npc-json">{}</pre>', text)


def _is_key(field, value) -> bool:
    """Whether `value` (as submitted) can be looked up in `field` without the ORM raising."""
    try:
        field.get_prep_value(field.to_python(value))
    except (ValidationError, ValueError, TypeError):
        return False
    return True


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up as it is when it re-renders the
    form: a POST with `npc= ` or `npc=abc` then raised ValueError (a 500) instead of showing the
    field's error. Values that are not a key of the target are dropped from the lookup."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        return super().optgroups(name, [item for item in value if _is_key(target, item)], attr)


class ChangedColumnsModelAdmin(admin.ModelAdmin):
    """Below the audit mixin: a change made through a `SharedRowForm` writes only the columns the
    person changed (the engine's increments in between are never reverted)."""

    def save_model(self, request, obj, form, change):
        if change and isinstance(form, SharedRowForm):
            save_changed_columns(obj, form.changed_columns())
        else:
            super().save_model(request, obj, form, change)


class ConsoleAdmin(AuditedAdminMixin, StrictLookupsMixin, ChangedColumnsModelAdmin):
    """A changelist that never runs `COUNT(*)` over its table and never computes facets.

    It filters by what its filters show and nothing else (npcadmin/admin_filters.py), and
    records every save and delete in the audit trail (npcadmin/audit.py).
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    list_max_show_all = 200
    # Rows rendered with the per-column work done once per page (npcadmin/templatetags/fast_admin_list.py).
    change_list_template = "admin/fast_change_list.html"

    class Media:
        css = {"all": ("npcs/console.css",)}

    def response_action(self, request, queryset, **kwargs):
        # Django filters `pk__in` the submitted checkboxes as they are: `_selected_action=abc`
        # (a hand-made POST) raised ValueError, a 500. Such values select nothing.
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        valid = [value for value in selected if _is_key(self.model._meta.pk, value)]
        if len(valid) != len(selected):
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, valid)
        return super().response_action(request, queryset, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SharedRowAdmin(ConsoleAdmin):
    """The admin of a row the engine also writes: its form is a `SharedRowForm` (token, lock timeout,
    changed columns only) and engine-owned columns are read-only; a lock wait becomes a message."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except RowLocked as exc:  # the form's own lock check passed; the write itself waited too long
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)


class EngineLogAdmin(ConsoleAdmin):
    """A log the NPC engine writes: read-only except `editable_fields`, JSON and prompts formatted.

    Detail pages show `pretty_<field>` for every JSON and long-text field that is not editable:
    each subclass declares those `@admin.display` methods (tests check none is missing).
    """

    editable_fields: tuple[str, ...] = ()
    actions = None
    # The changelist loads only the columns it shows (`changelist_columns`): a decision row carries
    # its prompt, response and five JSON documents, kilobytes a row that the list never prints.
    # Each relation shown lists what its label reads (NPC.__str__ is its name); methods in
    # list_display name the columns they read in `list_extra_columns`.
    list_related_columns: dict[str, tuple[str, ...]] = {}
    list_extra_columns: tuple[str, ...] = ()

    def changelist_columns(self, request) -> list[str] | None:
        """The `.only()` of the changelist's rows, or None to load every column.

        None as soon as list_display holds something that is neither a concrete field nor a method
        whose columns are declared: loading a deferred column costs one query per row.
        """
        opts = self.model._meta
        columns = [opts.pk.name, *self.list_extra_columns]
        for name in self.get_list_display(request):
            if name == "action_checkbox" or (name in self.list_extra_columns_for and callable(getattr(self, name))):
                continue
            try:
                field = opts.get_field(name)
            except FieldDoesNotExist:  # a method or an attribute: its columns are unknown
                return None
            if not field.concrete:
                return None
            columns.append(name)
            if field.is_relation:
                columns += [f"{name}__{related}" for related in self.list_related_columns.get(name, ())]
        columns += [name.lstrip("-") for name in self.get_ordering(request) or ()]
        return list(dict.fromkeys(columns))

    # list_display methods whose columns are in `list_extra_columns`.
    list_extra_columns_for: tuple[str, ...] = ()

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
