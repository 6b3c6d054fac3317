"""Game-master pages of the world databases: choose a world, its NPC villages, their configuration
and build history, and an NPC's villages in every world.

Every page of one world goes through `world_view`: staff only, 404 for a world that is not
configured, and a clear banner (HTTP 503) instead of a 500 when that world's database is down,
missing or not migrated. Nothing else catches database errors.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from npcadmin.access import allowed, requires
from npcadmin.edits import RowLocked, conflict_html
from npcs.models import NPC
from worlds.faults import WorldUnavailable, world_faults
from worlds.forms import BuildHistoryFilterForm, VillageConfigForm, VillageFilterForm
from worlds.models import NPCVillageConfig
from worlds.pagination import page_without_count
from worlds.selectors import (
    attach_recent_builds,
    build_history_in_world,
    npc_names,
    npc_villages_in_world,
    npcs_in_world,
    village_config_in_world,
    villages_for_npc,
    world_summary,
)
from worlds.services import StaleVillageConfig, version_token, village_config_update

VILLAGES_PER_PAGE = 50
BUILDS_PER_PAGE = 100
RECENT_BUILDS_ON_VILLAGE_PAGE = 10


def world_view(view):
    """Unknown world → 404; its database unavailable → a banner page (503), not a 500.

    Access is each view's own `@requires(...)`, applied outside this, so nobody learns which
    worlds exist without the permission."""

    @wraps(view)
    def wrapper(request, world_id: str, *args, **kwargs):
        if world_id not in settings.NPCADMIN_WORLDS:
            raise Http404(f"No world {world_id!r} is configured.")
        try:
            with world_faults(world_id):
                return view(request, world_id, *args, **kwargs)
        except WorldUnavailable as fault:
            return render(request, "worlds/unavailable.html",
                          {"world_id": world_id, "worlds": settings.NPCADMIN_WORLDS, "fault": fault}, status=503)

    return wrapper


@requires("view_worlds")
def world_index(request):
    """Every configured world, with its counts or the reason it cannot be read."""
    cards = []
    for world_id in settings.NPCADMIN_WORLDS:
        try:
            cards.append({"world_id": world_id, **world_summary(world_id)})
        except WorldUnavailable as fault:
            cards.append({"world_id": world_id, "error": fault.reason})
    return render(request, "worlds/index.html", {"cards": cards, "worlds": settings.NPCADMIN_WORLDS})


@requires("view_worlds")
@world_view
def village_list(request, world_id: str):
    """A world's NPC villages with their configuration and latest builds."""
    filters = VillageFilterForm(request.GET or None, npc_choices=npcs_in_world(world_id))
    data = filters.cleaned_data if filters.is_valid() else {}
    configs = npc_villages_in_world(world_id, npc_id=data.get("npc"), village_type=data.get("village_type"),
                                    search=data.get("q", ""))
    page = Paginator(configs, VILLAGES_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    attach_recent_builds(world_id, [c.village for c in rows])
    names = npc_names(c.npc_id for c in rows)
    return render(request, "worlds/village_list.html", {
        "world_id": world_id, "worlds": settings.NPCADMIN_WORLDS, "filters": filters, "page": page,
        "rows": [(c, names.get(c.npc_id)) for c in rows], "query": _query_without_page(request),
    })


@requires("view_worlds", write="edit_worlds")
@world_view
def village_config_edit(request, world_id: str, village_id: int):
    """Edit one NPC village's configuration; a save based on an outdated version is refused."""
    try:
        config = village_config_in_world(world_id, village_id)
    except NPCVillageConfig.DoesNotExist:
        raise Http404(f"Village {village_id} of world {world_id} is not run by an NPC.") from None
    can_change = allowed(request.user, "edit_worlds")  # a POST without it never got here (@requires)
    conflict = ""
    if request.method == "POST":
        form = VillageConfigForm(request.POST, instance=config)
        if form.is_valid():
            try:
                village_config_update(world_id=world_id, village_id=village_id, changes=form.changes(),
                                      seen_version=form.cleaned_data["edit_token"], by_user=request.user)
            except StaleVillageConfig as stale:
                # Keep the person's input; the next save is measured against what is stored now.
                config = stale.current
                form.data = form.data.copy()
                form.data[form.add_prefix("edit_token")] = version_token(config)
                conflict = conflict_html(stale, what="village configuration")
            except RowLocked as locked:
                conflict = str(locked)
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, f"Saved the NPC configuration of {config.village.name}.")
                return redirect("worlds:village_config", world_id=world_id, village_id=village_id)
    else:
        form = VillageConfigForm(instance=config)
    if not can_change:
        for field in form.fields.values():
            field.disabled = True
    recent = build_history_in_world(world_id, village_id=village_id)[:RECENT_BUILDS_ON_VILLAGE_PAGE]
    npc_name = npc_names([config.npc_id]).get(config.npc_id)
    return render(request, "worlds/village_config.html", {
        "world_id": world_id, "worlds": settings.NPCADMIN_WORLDS, "config": config, "village": config.village,
        "npc_name": npc_name, "form": form, "can_change": can_change, "conflict": conflict,
        "recent_builds_rows": [(b, npc_name) for b in recent],
    })


@requires("view_worlds")
@world_view
def build_history(request, world_id: str):
    """A world's build history (read-only), filterable by building, NPC, village and completion time."""
    filters = BuildHistoryFilterForm(request.GET or None, npc_choices=npcs_in_world(world_id))
    data = filters.cleaned_data if filters.is_valid() else {}
    builds = build_history_in_world(world_id, building=data.get("building", ""), npc_id=data.get("npc"),
                                    village_id=data.get("village"), completed_from=data.get("completed_from"),
                                    completed_to=data.get("completed_to"))
    page = page_without_count(builds, request.GET.get("page"), BUILDS_PER_PAGE)
    names = npc_names(b.npc_id for b in page.rows)
    return render(request, "worlds/build_history.html", {
        "world_id": world_id, "worlds": settings.NPCADMIN_WORLDS, "filters": filters, "page": page,
        "rows": [(b, names.get(b.npc_id)) for b in page.rows], "query": _query_without_page(request),
    })


@requires("view_worlds")
def npc_villages(request, npc_id: int):
    """One NPC's villages in every world it plays (worlds that are down say so)."""
    npc = get_object_or_404(NPC.objects.only("id", "name"), pk=npc_id)
    return render(request, "worlds/npc_villages.html", {
        "npc": npc, "world_villages": villages_for_npc(npc.pk), "worlds": settings.NPCADMIN_WORLDS,
    })


def _add_service_errors(form, error: ValidationError) -> None:
    """Show a service's validation errors next to the form's fields, the others above the form."""
    for name, messages_ in (error.message_dict if hasattr(error, "error_dict") else {None: error.messages}).items():
        if name in form.fields:
            form.add_error(name, messages_)
        else:
            form.add_error(None, [f"{name}: {m}" if name and name != "__all__" else m for m in messages_])


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
