"""Bulk actions of the console, each confirmed on a page that says how many rows will change."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from npcadmin.edits import RowLocked
from npcs import services
from npcs.forms import RelationshipTypeForm


def _confirmation(modeladmin, request, queryset, *, title: str, summary: str, changing: int, form=None,
                  template: str = "admin/npcs/confirm_bulk.html"):
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "summary": summary,
        "changing": changing,
        "selected": queryset.count(),
        "selected_ids": list(queryset.values_list("pk", flat=True)),
        "action": request.POST.get("action"),
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "form": form,
        "media": modeladmin.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, template, context)


def _flag_action(*, name: str, verb: str, service, field_name: str, value: bool, description: str):
    """An NPC action that flips one flag through `service`, after a confirmation page."""

    @admin.action(description=description, permissions=["change"])
    def action(modeladmin, request, queryset):
        if request.POST.get("post") == "yes":
            try:
                changed = service(npc_ids=list(queryset.values_list("pk", flat=True)), by_user=request.user)
            except RowLocked as exc:
                modeladmin.message_user(request, str(exc), messages.ERROR)
                return None
            modeladmin.message_user(request, f"{changed} NPC(s) {verb}.", messages.SUCCESS)
            return None
        changing = queryset.exclude(**{field_name: value}).count()
        selected = queryset.count()
        unchanged = selected - changing
        summary = f"{changing} of the {selected} selected NPC(s) will be {verb}"
        summary += f"; {unchanged} already are." if unchanged else "."
        return _confirmation(modeladmin, request, queryset, title=f"{description}?", summary=summary,
                             changing=changing)

    action.__name__ = name
    return action


pause_npcs = _flag_action(name="pause_npcs", verb="paused", service=services.npcs_pause, field_name="paused",
                          value=True, description="Pause selected NPCs")
resume_npcs = _flag_action(name="resume_npcs", verb="resumed", service=services.npcs_resume, field_name="paused",
                           value=False, description="Resume selected NPCs")
activate_npcs = _flag_action(name="activate_npcs", verb="activated", service=services.npcs_activate,
                             field_name="active", value=True, description="Activate selected NPCs")
deactivate_npcs = _flag_action(name="deactivate_npcs", verb="deactivated", service=services.npcs_deactivate,
                               field_name="active", value=False, description="Deactivate selected NPCs")


@admin.action(description="Set the type of selected relationships", permissions=["change"])
def set_relationship_type(modeladmin, request, queryset):
    form = RelationshipTypeForm(request.POST if request.POST.get("post") == "yes" else None)
    if form.is_bound and form.is_valid():
        new_type = form.cleaned_data["relationship_type"]
        try:
            changed = services.relationships_set_type(relationship_ids=list(queryset.values_list("pk", flat=True)),
                                                      relationship_type=new_type, by_user=request.user)
        except RowLocked as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)
            return None
        modeladmin.message_user(request, f"{changed} relationship(s) set to {new_type}.", messages.SUCCESS)
        return None
    selected = queryset.count()
    return _confirmation(modeladmin, request, queryset, title="Set the relationship type",
                         summary=f"Choose the new type for the {selected} selected relationship(s); "
                                 "those that already have it stay unchanged.",
                         changing=selected, form=form)
