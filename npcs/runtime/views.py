"""The runtime page: the engine's Redis seen live (`view_runtime`), with its few safe operations
(`operate_runtime`: hidden from and refused to everyone else, the analyst included).

Every view answers when Redis is down or slow: reads render a "Redis unavailable" banner,
actions redirect back with an error message. Nothing here can turn an outage into a 500.
"""

from __future__ import annotations

import logging

import plotly
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from npcadmin.access import allowed, requires
from npcadmin.jsonb import json_text
from npcs.runtime import keys, sync
from npcs.runtime.client import RuntimeUnavailable
from npcs.runtime.forms import (
    ConfirmForm,
    KeyDeleteForm,
    KeyForm,
    KeySearchForm,
    PurgeForm,
    QueuedDecisionForm,
    RequeueForm,
)
from npcs.runtime.selectors import (
    cached_state_text,
    decision_row,
    name_rows,
    npc_admin_url,
    npc_names,
    npc_runtime_rows,
    queue_depth_chart,
    runtime_snapshot,
    snapshot_npc_ids,
    unavailable_snapshot,
    with_npc_names,
)
from npcs.runtime.services import (
    runtime_key_delete,
    runtime_llm_cache_flush,
    runtime_queue_drop,
    runtime_queue_purge,
    runtime_queue_requeue,
    runtime_ratelimit_reset,
)
from npcs.runtime.sync import SyncRuntime

logger = logging.getLogger(__name__)

QUEUE_PAGE_SIZE = 50
MAX_QUEUE_OFFSET = 2**31  # ?offset=10^30 is the end of any queue, not a Redis range error
NPC_ROWS_LIMIT = 1000


def _unavailable(request: HttpRequest, exc: Exception) -> None:
    logger.warning("runtime: Redis unavailable: %s", exc)
    messages.error(request, f"Redis unavailable, nothing was changed: {exc}")


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect(default)


@requires("view_runtime")
def overview(request: HttpRequest) -> HttpResponse:
    async def read(client):
        return await runtime_snapshot(client), await client.queue_depth_history()

    try:
        snapshot, depth_samples = sync.run(read)
    except RuntimeUnavailable as exc:
        snapshot, depth_samples = unavailable_snapshot(exc), []
    snapshot = with_npc_names(snapshot, npc_names(snapshot_npc_ids(snapshot)))
    return render(request, "runtime/overview.html", {
        "snapshot": snapshot, "priorities": keys.PRIORITIES, "ws_path": "/ws/runtime/",
        "can_operate": allowed(request.user, "operate_runtime"),
        "queues_empty": snapshot.get("available") and not snapshot.get("queued_total"),
        # The charts' first paint: the last hour from Redis; the WebSocket appends from there.
        "chart_history": {"queue": queue_depth_chart(depth_samples),
                          "minutes": snapshot.get("metrics", {}).get("history", [])},
        "plotly_version": plotly.__version__,
    })


@requires("view_runtime")
def queue_detail(request: HttpRequest, priority: int) -> HttpResponse:
    try:
        offset = min(max(0, int(request.GET.get("offset", 0))), MAX_QUEUE_OFFSET)
    except ValueError:
        offset = 0
    runtime = SyncRuntime()
    context = {"priority": priority, "priorities": keys.PRIORITIES, "offset": offset, "page_size": QUEUE_PAGE_SIZE,
               "can_operate": allowed(request.user, "operate_runtime")}
    try:
        (depth,) = runtime.queue_depths([priority])
        items = runtime.peek(priority, start=offset, count=QUEUE_PAGE_SIZE)
    except RuntimeUnavailable as exc:
        context["unavailable"] = str(exc)
        return render(request, "runtime/queue.html", context)
    context.update({
        "depth": depth, "rows": name_rows([decision_row(i) for i in items], npc_names(i.npc_id for i in items)),
        "previous_offset": max(0, offset - QUEUE_PAGE_SIZE) if offset else None,
        "next_offset": offset + QUEUE_PAGE_SIZE if offset + QUEUE_PAGE_SIZE < depth.depth else None,
    })
    return render(request, "runtime/queue.html", context)


def _act_on_queued_decision(request: HttpRequest, form_class, verb: str, act, done) -> HttpResponse:
    """One queued decision moved or dropped from a row's button: the form, the service, the message."""
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, f"That decision could not be {verb}: the form was incomplete.")
        return _back(request, "runtime:overview")
    data = form.cleaned_data
    try:
        changed = act(data)
    except RuntimeUnavailable as exc:
        _unavailable(request, exc)
        return _back(request, "runtime:overview")
    if changed:
        messages.success(request, done(data))
    else:
        messages.warning(request, "That decision is no longer queued (the engine probably took it).")
    return _back(request, "runtime:overview")


@requires("operate_runtime")
@require_POST
def queue_requeue(request: HttpRequest) -> HttpResponse:
    return _act_on_queued_decision(
        request, RequeueForm, "moved",
        lambda data: runtime_queue_requeue(member=data["member"], from_priority=data["priority"],
                                           to_priority=data["to_priority"], by_user=request.user),
        lambda data: f"Moved one decision from priority {data['priority']} to {data['to_priority']}.")


@requires("operate_runtime")
@require_POST
def queue_drop(request: HttpRequest) -> HttpResponse:
    return _act_on_queued_decision(
        request, QueuedDecisionForm, "dropped",
        lambda data: runtime_queue_drop(member=data["member"], priority=data["priority"], by_user=request.user),
        lambda data: f"Dropped one decision from priority {data['priority']}.")


@requires("operate_runtime")
def queue_purge(request: HttpRequest, priority: int) -> HttpResponse:
    """GET: how many decisions would go, and a confirmation; POST: drop exactly those."""
    runtime = SyncRuntime()
    context = {"priority": priority}
    try:
        if request.method == "POST":
            form = PurgeForm(request.POST)
            if form.is_valid():
                dropped = runtime_queue_purge(priority=priority, queued_up_to=form.cleaned_data["queued_up_to"],
                                              by_user=request.user, runtime=runtime)
                messages.success(request, f"Purged {dropped} decision{'s' if dropped != 1 else ''} "
                                          f"from priority {priority}.")
                return redirect("runtime:overview")
        (depth,) = runtime.queue_depths([priority])
        newest = runtime.newest_score(priority)
    except RuntimeUnavailable as exc:
        context["unavailable"] = str(exc)
        return render(request, "runtime/confirm_purge.html", context)
    if request.method != "POST":
        form = PurgeForm(initial={"queued_up_to": repr(newest) if newest is not None else "0"})
    context.update({"form": form, "depth": depth, "newest": newest})
    return render(request, "runtime/confirm_purge.html", context)


@requires("view_runtime")
def npcs(request: HttpRequest) -> HttpResponse:
    runtime = SyncRuntime()
    context: dict = {}
    try:
        active = runtime.active_npcs(limit=NPC_ROWS_LIMIT)
        states = runtime.cached_npc_states(limit=NPC_ROWS_LIMIT)
    except RuntimeUnavailable as exc:
        context["unavailable"] = str(exc)
        return render(request, "runtime/npcs.html", context)
    rows = npc_runtime_rows(active, states)
    context.update({
        "rows": [{"row": r, "npc_url": npc_admin_url(r.npc_id),
                  "cells": [(f, cached_state_text(f, r.cached.get(f)), f in r.different_fields)
                            for f in keys.NPC_STATE_FIELDS]}
                 for r in rows],
        "field_titles": [f.replace("_", " ").capitalize() for f in keys.NPC_STATE_FIELDS],  # people read titles
        "active_count": len(active), "cached_count": len(states),
        "differing_count": sum(1 for r in rows if r.differences),
        "limit": NPC_ROWS_LIMIT,
    })
    return render(request, "runtime/npcs.html", context)


@requires("operate_runtime")
@require_POST
def ratelimit_reset(request: HttpRequest, npc_id: int) -> HttpResponse:
    try:
        reset = runtime_ratelimit_reset(npc_id=npc_id, by_user=request.user)
    except RuntimeUnavailable as exc:
        _unavailable(request, exc)
        return _back(request, "runtime:overview")
    if reset:
        messages.success(request, f"Reset the LLM rate limit of NPC {npc_id}.")
    else:
        messages.info(request, f"NPC {npc_id} had no open rate-limit window.")
    return _back(request, "runtime:overview")


@requires("operate_runtime")
def llm_cache_flush(request: HttpRequest) -> HttpResponse:
    runtime = SyncRuntime()
    context: dict = {}
    try:
        if request.method == "POST":
            form = ConfirmForm(request.POST)
            if form.is_valid():
                deleted = runtime_llm_cache_flush(by_user=request.user, runtime=runtime)
                messages.success(request, f"Flushed {deleted} cached LLM response{'s' if deleted != 1 else ''}.")
                return redirect("runtime:overview")
        else:
            form = ConfirmForm()
        context.update({"form": form, "stats": runtime.llm_cache_stats()})
    except RuntimeUnavailable as exc:
        context["unavailable"] = str(exc)
    return render(request, "runtime/confirm_flush.html", context)


# --- The key browser (ops only: it shows any value and deletes any key) ----------------------


def _key_value_rows(value) -> list[dict]:
    """Entries of a hash, list, set, zset or stream with their JSON pretty-printed (members of
    the decision queues, LLM responses and stream entries are JSON)."""
    return [{"name": name, "name_json": json_text(name), "value": item, "value_json": json_text(item or "")}
            for name, item in value.items]


@requires("operate_runtime")
def keys_browse(request: HttpRequest) -> HttpResponse:
    """Search keys by pattern with SCAN (cursor paging, bounded COUNT), RedisInsight-style."""
    form = KeySearchForm(request.GET or None)
    context = {"form": form, "presets": keys.BROWSER_PRESETS, "searched": False}
    if request.GET and not form.is_valid():
        return render(request, "runtime/keys.html", context, status=400)
    data = form.cleaned_data if request.GET else {"pattern": "*", "cursor": 0, "count": 100}
    try:
        page = SyncRuntime().browse_keys(data["pattern"], cursor=data["cursor"], count=data["count"])
    except RuntimeUnavailable as exc:
        context["unavailable"] = str(exc)
        return render(request, "runtime/keys.html", context)
    context.update({"searched": True, "page": page, "pattern": data["pattern"], "count": data["count"],
                    "cursor": data["cursor"]})
    return render(request, "runtime/keys.html", context)


@requires("operate_runtime")
def key_detail(request: HttpRequest) -> HttpResponse:
    """One key: type, TTL, memory, size and its value (truncated), pretty-printed."""
    form = KeyForm(request.GET)
    if not form.is_valid():
        return render(request, "runtime/key.html", {"form": form}, status=400)
    name = form.cleaned_data["key"]
    context: dict = {"form": form, "name": name}
    try:
        value = SyncRuntime().key_value(name)
    except RuntimeUnavailable as exc:
        context["unavailable"] = str(exc)
        return render(request, "runtime/key.html", context)
    if value is None:
        raise Http404(f"There is no key {name!r} (any more).")
    context.update({"value": value, "text_json": json_text(value.text) if value.text is not None else None,
                    "rows": _key_value_rows(value)})
    return render(request, "runtime/key.html", context)


@requires("operate_runtime")
def key_delete(request: HttpRequest) -> HttpResponse:
    """GET: what would go and a confirmation; POST (confirmed): delete it, audited."""
    form = KeyDeleteForm(request.POST) if request.method == "POST" else KeyForm(request.GET)
    context: dict = {"form": form}
    if not form.is_valid() and "key" in form.errors:
        return render(request, "runtime/confirm_key_delete.html", context, status=400)
    name = form.cleaned_data.get("key", "")
    context["name"] = name
    runtime = SyncRuntime()
    try:
        if request.method == "POST" and form.is_valid():
            deleted = runtime_key_delete(key=name, by_user=request.user, runtime=runtime)
            if deleted:
                messages.success(request, f"Deleted the key {name}.")
            else:
                messages.warning(request, f"The key {name} was already gone.")
            return redirect("runtime:keys")
        (summary,) = runtime.key_summaries([name])
    except RuntimeUnavailable as exc:
        context["unavailable"] = str(exc)
        return render(request, "runtime/confirm_key_delete.html", context)
    context["summary"] = summary
    if request.method == "GET":
        context["form"] = KeyDeleteForm(initial={"key": name})
    return render(request, "runtime/confirm_key_delete.html", context, status=200 if request.method == "GET" else 400)
