"""The NPC console: list, edit (template form, no lost updates), history, clone, preset, delete, overview."""

from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from npcadmin import access, audit
from npcadmin.edits import RowLocked
from npcs import selectors, services
from npcs.admin import actions
from npcs.admin.base import ConsoleAdmin, pretty
from npcs.admin.filters import IdleFilter, NPCWorldFilter
from npcs.choices import BEHAVIOR_WEIGHTS
from npcs.forms import TEMPLATE_FORM_KEYS, WEIGHT_HELP, CloneNPCForm, NPCForm, PresetNPCForm
from npcs.models import NPC, NPCTemplateHistory
from npcs.presets import preset_template

AUDIT_ON_NPC_PAGE = 10  # the latest changes on the NPC page; the audit page has the rest

# Worlds helper's partial showing the NPC's villages in every world (optional until merged).
def _template_value(obj, key):
    template = obj.behavior_template if isinstance(obj.behavior_template, dict) else {}
    return template.get(key)


def _ordered_list(obj, key):
    items = _template_value(obj, key)
    if not isinstance(items, list) or not items:
        return "—"
    return format_html('<ol class="npc-ordered">{}</ol>', format_html_join("", "<li>{}</li>", ((i,) for i in items)))


def _readonly_weight(key: str):
    """A weight shown as the editor shows it, a slider and its number, but disabled (view only)."""

    @admin.display(description=key.replace("_", " ").capitalize())
    def show(self, obj):
        value = _template_value(obj, key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return format_html('<span class="npc-weight-missing">not set</span> <span class="help">{}</span>',
                               WEIGHT_HELP[key])
        return format_html(
            '<span class="npc-weight npc-weight-readonly"><input type="range" min="0" max="1" step="0.01" '
            'value="{}" disabled aria-label="{}"> <output class="weight-value">{}</output></span>'
            '<div class="help">{}</div>', value, key, f"{value:.2f}", WEIGHT_HELP[key])

    show.__name__ = key
    return show


@admin.register(NPC)
class NPCAdmin(ConsoleAdmin):
    form = NPCForm
    audited_by_service = True  # npcs/services.py records creates, updates and deletes
    # Named explicitly, not at admin/npcs/npc/change_*.html, so another AdminSite over the same
    # models (a stock admin) does not pick up the console's links.
    change_form_template = "admin/npcs/npc/console_change_form.html"
    change_list_template = "admin/npcs/npc/console_change_list.html"
    list_display = ("name", "tribe", "personality", "status", "last_seen", "decisions", "llm_calls", "battles",
                    "strategies")
    list_display_links = ("name",)
    list_filter = ("tribe", "personality", "active", "paused", IdleFilter, NPCWorldFilter)
    list_select_related = ()
    search_fields = ("name",)
    search_help_text = "Name (contains) or exact UUID."
    ordering = ("name", "id")
    sortable_by = ("name", "tribe", "personality", "last_seen", "decisions", "llm_calls", "battles")
    actions = (actions.pause_npcs, actions.resume_npcs, actions.activate_npcs, actions.deactivate_npcs)
    readonly_fields = ("uuid", "version", "created_at", "last_active", "last_decision", "total_decisions_made",
                       "llm_calls_made", "battles_fought", "villages_founded", "template_json", "console_links")
    fieldsets = (
        (None, {"fields": ("name", "tribe", "personality", ("active", "paused"), "edit_token")}),
        ("Behaviour template", {
            "fields": (*BEHAVIOR_WEIGHTS, "building_priority", "goals", "extra_template"),
            "description": "Weights run from 0 to 1. The engine reads the saved template on its next decision; "
                           "each change becomes a new version in the template history.",
        }),
        ("LLM settings", {"fields": ("llm_temperature", "decision_cache_ttl", "strategic_update_frequency")}),
        ("Notes", {"fields": ("notes",)}),
        ("Activity (written by the engine)", {
            "classes": ("collapse",),
            "fields": ("console_links", "uuid", "version", "created_at", "last_active", "last_decision",
                       ("total_decisions_made", "llm_calls_made", "battles_fought", "villages_founded"),
                       "template_json"),
        }),
    )

    # --- list ---------------------------------------------------------------------------------

    def get_queryset(self, request):
        return selectors.npcs_for_console()

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        found = super().get_actions(request, action_location=action_location)
        found.pop("delete_selected", None)  # deleting goes through the one-NPC preview
        return found

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        try:
            return queryset.filter(uuid=uuid.UUID(term)), False
        except ValueError:
            return super().get_search_results(request, queryset, term)

    @admin.display(description="status")
    def status(self, obj):
        state = "inactive" if not obj.active else "paused" if obj.paused else "active"
        return format_html('<span class="npc-badge {}">{}</span>', state, state)

    @admin.display(description="last active", ordering="last_active")
    def last_seen(self, obj):
        return format_html('<span title="{}">{} ago</span>', obj.last_active, timesince(obj.last_active))

    @admin.display(description="decisions", ordering="total_decisions_made")
    def decisions(self, obj):
        return obj.total_decisions_made

    @admin.display(description="LLM calls", ordering="llm_calls_made")
    def llm_calls(self, obj):
        return obj.llm_calls_made

    @admin.display(description="battles", ordering="battles_fought")
    def battles(self, obj):
        return obj.battles_fought

    @admin.display(description="strategy per world")
    def strategies(self, obj):
        states = obj.world_states.all()
        if not states:
            return "—"
        return format_html_join(", ", '<span class="npc-strategies">{}: <b>{}</b></span>',
                                ((s.world_id, s.current_strategy or "—") for s in states))

    # --- read-only (a role with view permission only) ----------------------------------------
    # The template's fields are form fields, not model fields: without these the admin's read-only
    # rendering found nothing to show and printed "None" for every weight, list and extra key.

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # The hidden concurrency token means nothing to someone who can only look.
        return [(name, {**opts, "fields": tuple(f for f in opts["fields"] if f != "edit_token")})
                for name, opts in fieldsets]

    @admin.display(description="Building priority")
    def building_priority(self, obj):
        return _ordered_list(obj, "building_priority")

    @admin.display(description="Goals")
    def goals(self, obj):
        return _ordered_list(obj, "goals")

    @admin.display(description="Other template keys (raw JSON)")
    def extra_template(self, obj):
        template = obj.behavior_template if isinstance(obj.behavior_template, dict) else {}
        extra = {k: v for k, v in template.items() if k not in TEMPLATE_FORM_KEYS}
        return pretty(extra) if extra else "—"

    # --- edit ---------------------------------------------------------------------------------

    @admin.display(description="raw behaviour template")
    def template_json(self, obj):
        return pretty(obj.behavior_template)

    @admin.display(description="see also")
    def console_links(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">NPC page</a> · <a href="{}">template history</a> · <a href="{}">clone</a>',
            reverse("admin:npcs_npc_overview", args=[obj.pk]),
            reverse("admin:npcs_npc_template_history", args=[obj.pk]),
            reverse("admin:npcs_npc_clone", args=[obj.pk]),
        )

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        personality = initial.get("personality") or "balanced"
        try:
            initial["behavior_template"] = preset_template(personality)
        except ValueError:
            initial["behavior_template"] = preset_template("balanced")
        return initial

    def save_model(self, request, obj, form, change):
        """Save through the services: version bump, template history, the concurrency check."""
        data = form.npc_data()
        if change:
            saved = services.npc_update(npc=obj, data=data, expected_token=form.cleaned_data.get("edit_token"),
                                        by_user=request.user)
        else:
            saved = services.npc_create(data=data, by_user=request.user)
        obj.pk = saved.pk
        obj.version = saved.version
        obj.uuid = saved.uuid

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ConcurrentEditError as exc:
            # Only reachable if the form's own check was bypassed; never let it become a 500.
            self.message_user(request, f"Not saved: {exc}. Reload the page to see the current values.",
                              messages.ERROR)
            return HttpResponseRedirect(request.path)
        except RowLocked as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)

    # --- extra pages --------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("add-from-preset/", wrap(self.preset_view), name="npcs_npc_add_from_preset"),
            path("<path:object_id>/overview/", wrap(self.overview_view), name="npcs_npc_overview"),
            path("<path:object_id>/template-history/", wrap(self.template_history_view),
                 name="npcs_npc_template_history"),
            path("<path:object_id>/template-history/<int:history_id>/restore/", wrap(self.restore_view),
                 name="npcs_npc_template_restore"),
            path("<path:object_id>/clone/", wrap(self.clone_view), name="npcs_npc_clone"),
            path("<path:object_id>/deactivate/", wrap(self.deactivate_view), name="npcs_npc_deactivate"),
            *super().get_urls(),
        ]

    def _npc_or_404(self, request, object_id, permission: str = "view") -> NPC:
        npc = self.get_object(request, unquote(object_id))
        if npc is None:
            raise Http404("No NPC with this id.")
        allowed = {"view": self.has_view_permission, "change": self.has_change_permission,
                   "delete": self.has_delete_permission}[permission](request, npc)
        if not allowed:
            raise PermissionDenied
        return npc

    def _context(self, request, npc: NPC | None, title: str, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, "original": npc, "npc": npc,
                "title": title, "media": self.media, "has_change_permission": self.has_change_permission(
                    request, npc), **extra}

    def overview_view(self, request, object_id):
        npc = self._npc_or_404(request, object_id)
        overview = selectors.npc_overview(npc_id=npc.pk)
        changes = (list(audit.entries_for("npcs.npc", npc.pk)[:AUDIT_ON_NPC_PAGE])
                   if access.allowed(request.user, "view_audit") else None)
        return TemplateResponse(request, "admin/npcs/npc/overview.html", self._context(
            request, overview.npc, str(overview.npc), overview=overview, audit_entries=changes))

    def template_history_view(self, request, object_id):
        npc = self._npc_or_404(request, object_id)
        history = list(selectors.npc_template_history(npc_id=npc.pk)[:200])
        return TemplateResponse(request, "admin/npcs/npc/template_history.html", self._context(
            request, npc, f"Template history of {npc}", history=history))

    def restore_view(self, request, object_id, history_id):
        npc = self._npc_or_404(request, object_id, "change")
        entry = get_object_or_404(NPCTemplateHistory, pk=history_id, npc_id=npc.pk)
        before = request.GET.get("before") == "1" or request.POST.get("before") == "1"
        target = entry.previous_template if before else entry.behavior_template
        if not isinstance(target, dict):
            raise Http404("No template to restore from this entry.")
        label = f"the template before version {entry.version}" if before else f"template version {entry.version}"
        if request.method == "POST":
            updated = services.npc_restore_template(npc=npc, history=entry, by_user=request.user, before=before)
            self.message_user(request, f"Restored {label} as version {updated.version}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:npcs_npc_change", args=[npc.pk]))
        current = npc.behavior_template if isinstance(npc.behavior_template, dict) else {}
        changes = [(key, current.get(key), target.get(key)) for key in sorted(set(current) | set(target))
                   if current.get(key) != target.get(key)]
        return TemplateResponse(request, "admin/npcs/npc/template_restore.html", self._context(
            request, npc, f"Restore {label} of {npc}?", entry=entry, changes=changes, before=before, label=label))

    def clone_view(self, request, object_id):
        npc = self._npc_or_404(request, object_id)
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CloneNPCForm(request.POST or None, initial={"name": f"{npc.name} (copy)"[:100]})
        if request.method == "POST" and form.is_valid():
            try:
                clone = services.npc_clone(source=npc, name=form.cleaned_data["name"], by_user=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(request, f"Cloned {npc} as {clone}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:npcs_npc_change", args=[clone.pk]))
        return TemplateResponse(request, "admin/npcs/npc/simple_form.html", self._context(
            request, npc, f"Clone {npc}", form=form, submit="Clone",
            intro=f"The clone gets {npc}'s tribe, personality, behaviour template (version {npc.version}) "
                  "and LLM settings, but none of its history, memories or world states."))

    def preset_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PresetNPCForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                npc = services.npc_create_from_preset(by_user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(request, f"Created {npc} from the {npc.personality} preset.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:npcs_npc_change", args=[npc.pk]))
        return TemplateResponse(request, "admin/npcs/npc/simple_form.html", self._context(
            request, None, "Create an NPC from a personality preset", form=form, submit="Create",
            intro="The behaviour template starts as the personality's preset; adjust it afterwards."))

    def deactivate_view(self, request, object_id):
        npc = self._npc_or_404(request, object_id, "change")
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:npcs_npc_delete", args=[npc.pk]))
        try:
            deactivated = services.npc_deactivate(npc=npc, by_user=request.user)
        except RowLocked as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:npcs_npc_change", args=[npc.pk]))
        if deactivated:
            self.message_user(request, f"{npc} is deactivated; the engine no longer plays it.", messages.SUCCESS)
        else:
            self.message_user(request, f"{npc} was already inactive.", messages.INFO)
        return HttpResponseRedirect(reverse("admin:npcs_npc_change", args=[npc.pk]))

    def delete_view(self, request, object_id, extra_context=None):
        """Explain what the database cascades and refuses; delete only when it can succeed."""
        npc = self._npc_or_404(request, object_id, "delete")
        preview = services.npc_delete_preview(npc=npc)
        if request.method == "POST" and request.POST.get("post") == "yes":
            try:
                with transaction.atomic():
                    services.npc_delete(npc=npc, by_user=request.user)
            except RowLocked as exc:
                self.message_user(request, str(exc), messages.ERROR)
            except services.NPCDeleteRefused as exc:
                preview = exc.preview
                preview.npc = npc
                self.message_user(request, "The database refused to delete this NPC: "
                                  + "; ".join(preview.blockers) + ".", messages.ERROR)
            else:
                self.message_user(request, f"Deleted {npc} and {preview.total} dependent rows.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:npcs_npc_changelist"))
        return TemplateResponse(request, "admin/npcs/npc/delete_preview.html", self._context(
            request, npc, f"Delete {npc}?", preview=preview))


for _key in BEHAVIOR_WEIGHTS:  # read-only weights, as NPCAdmin.aggression etc. (see "read-only" above)
    setattr(NPCAdmin, _key, _readonly_weight(_key))
