"""Decision traces: an NPC's decisions, one decision in full, and LLM usage across NPCs."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from npcadmin.access import requires
from npcadmin.paginators import seek_page
from npcs.mind import traces, usage
from npcs.mind.forms import AroundForm, OverviewForm, TimelineForm, bind
from npcs.mind.views.access import in_utc
from npcs.models import NPC, NPCDecision
from npcs.selectors import name_memories_and_battles


@requires("view_mind")
@in_utc
def decision_timeline(request, npc_id: int):
    """One NPC's decisions, newest first, a page at a time (no COUNT(*): "older" links only)."""
    npc = get_object_or_404(NPC.objects.only("id", "name", "personality", "tribe"), pk=npc_id)
    worlds = list(npc.world_states.order_by("world_id").values_list("world_id", flat=True))
    form = bind(TimelineForm, request.GET, {}, worlds=worlds)
    context = {"npc": npc, "form": form, "console_url": reverse("admin:npcs_npc_change", args=[npc.pk])}
    if "page" in request.GET:
        # Links from before the seek pager: an OFFSET page has no stable place in a timeline that
        # grows at the top, so it goes to the newest decisions with the same filters.
        params = request.GET.copy()
        params.pop("page")
        params.pop("cursor", None)
        return redirect(f"{request.path}?{params.urlencode()}" if params else request.path)
    if form.is_valid():
        try:
            page = seek_page(traces.decisions_for_npc(npc_id=npc.pk, filters=form.to_filter()),
                             form.cleaned_data.get("cursor") or None, traces.TIMELINE_PAGE)
        except ValueError:
            return HttpResponseBadRequest("Not a cursor of this timeline.")
        params = request.GET.copy()
        params.pop("cursor", None)
        context.update(
            decisions=page.rows,
            page=page,
            newer_url=f"?{params.urlencode()}" if not page.is_first else None,
            older_url=f"?{urlencode({**params.dict(), 'cursor': page.next_cursor})}" if page.has_next else None,
        )
    return render(request, "mind/timeline.html", context)


def _recall_url_around(decision: NPCDecision, hours: int) -> str:
    """The memory recall page for this decision's situation, around its time, in its world."""
    window = datetime.timedelta(hours=hours)
    params = {
        "world": decision.world_id,
        "situation": decision.situation_summary[:500],
        "since": (decision.created_at - window).astimezone(datetime.UTC).date().isoformat(),
        "until": (decision.created_at + window).astimezone(datetime.UTC).date().isoformat(),
    }
    return f"{reverse('mind:memory_recall', args=[decision.npc_id])}?{urlencode(params)}"


@requires("view_mind")
@in_utc
def decision_trace(request, decision_id: int):
    """Everything about one decision: situation, rules vs final, the LLM exchange, timing, outcome."""
    decision = get_object_or_404(traces.decisions_for_trace(), pk=decision_id)
    around = AroundForm(request.GET or {"hours": traces.DEFAULT_AROUND_HOURS})
    hours = around.cleaned_data["hours"] if around.is_valid() else traces.DEFAULT_AROUND_HOURS
    recommended, final = decision.rule_based_recommendation, decision.final_decision
    can_see_memories = request.user.has_perm("npcs.view_npcmemory")
    # The seed lets created_at be NULL (only a default): then there is no "around" to show.
    has_time = decision.created_at is not None and decision.npc_id is not None
    context = {
        "decision": decision,
        "npc": decision.npc,
        "around_form": around,
        "hours": hours,
        "differences": traces.json_diff(recommended, final) if recommended is not None else [],
        "timing": traces.execution_timing(decision),
        "memories": (list(traces.memories_around(decision, hours)) if has_time else []) if can_see_memories else None,
        "battles": list(traces.battles_around(decision, hours)) if has_time else [],
        "recall_url": _recall_url_around(decision, hours) if has_time and can_see_memories else None,
        "console_url": reverse("admin:npcs_npcdecision_change", args=[decision.pk]),
        "npc_console_url": reverse("admin:npcs_npc_change", args=[decision.npc_id]) if decision.npc_id else None,
    }
    target = next((d.get("target_player_id") for d in (final, recommended)
                   if isinstance(d, dict) and isinstance(d.get("target_player_id"), int)), None)
    people = name_memories_and_battles(memories=context["memories"] or (), battles=context["battles"],
                                       players=[(decision.world_id, target)] if target is not None else ())
    context["target_name"] = people.player(decision.world_id, target) if target is not None else None
    return render(request, "mind/trace.html", context)


@requires("view_mind")
@in_utc
def decisions_overview(request):
    """Across NPCs: LLM use, departures from the rules, success by path, latency, tokens, trouble."""
    as_of = timezone.now()
    form = bind(OverviewForm, request.GET, OverviewForm.defaults(as_of))
    context = {"form": form, "rate_limit": settings.NPCADMIN_RUNTIME_LLM_RATE_LIMIT}
    if form.is_valid():
        window = form.to_window()
        context.update(
            window=window,
            totals=usage.usage_totals(window),
            paths=usage.success_by_path(window),
            per_npc=usage.llm_latency_per_npc(window),
            per_day=usage.llm_latency_per_day(window),
            trouble=usage.llm_trouble_per_npc(window, slow_p95_ms=form.cleaned_data["slow_ms"]),
            slow_ms=form.cleaned_data["slow_ms"],
            redis=usage.rate_limited_now(),
        )
    return render(request, "mind/overview.html", context)
