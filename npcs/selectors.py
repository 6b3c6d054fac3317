"""Reads of the global NPC database, returning querysets that already carry their joins."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from npcadmin.edits import edit_token, row_snapshot
from npcs.models import (
    NPC,
    NPCAlliance,
    NPCBattle,
    NPCDecision,
    NPCMemory,
    NPCMessage,
    NPCRelationship,
    NPCTemplateHistory,
    NPCTrade,
    NPCWorldState,
)

# The world-state columns the console shows next to an NPC (strategy per world).
_WORLD_STATE_SUMMARY = ("id", "npc_id", "world_id", "current_strategy", "rank", "village_count")


def npc_names(npc_ids: Iterable[int | None]) -> dict[int, str]:
    """Names of the given NPCs in one query (missing ids are absent); for pages whose rows live
    elsewhere (world databases, Redis) and carry only an `npc_id`."""
    ids = {int(i) for i in npc_ids if i is not None}
    if not ids:
        return {}
    return dict(NPC.objects.filter(pk__in=ids).values_list("pk", "name"))


def npcs_for_console() -> QuerySet[NPC]:
    """NPCs with their world states (strategy per world) prefetched in one extra query."""
    return NPC.objects.prefetch_related(
        Prefetch("world_states", queryset=NPCWorldState.objects.only(*_WORLD_STATE_SUMMARY).order_by("world_id"))
    )


# The values a game master edits; two edits conflict when one of them changed in between.
# Counters and timestamps are the engine's: they are not here, so the engine never refuses a save.
NPC_EDIT_FIELDS = ("name", "tribe", "personality", "behavior_template", "llm_temperature", "decision_cache_ttl",
                   "strategic_update_frequency", "active", "paused", "notes", "version")


def npc_edit_snapshot(npc: NPC) -> dict:
    """The values a game master edits (`NPC_EDIT_FIELDS`) as they are on `npc`."""
    return row_snapshot(npc, NPC_EDIT_FIELDS)


def npc_edit_token(npc: NPC) -> str:
    """The console's edit token (npcadmin.edits) over `npc_edit_snapshot`: the form carries it, the save checks it."""
    return edit_token(npc_edit_snapshot(npc))


def npc_template_history(*, npc_id: int) -> QuerySet[NPCTemplateHistory]:
    return NPCTemplateHistory.objects.filter(npc_id=npc_id).select_related("changed_by").order_by("-changed_at", "-id")


def npc_alliances(*, npc: NPC) -> QuerySet[NPCAlliance]:
    """Alliances the NPC leads or belongs to (via its world states' alliance ids)."""
    membership = Q(npc_leader=npc)
    for state in npc.world_states.all():
        if state.alliance_id is not None:
            membership |= Q(world_id=state.world_id, alliance_id=state.alliance_id)
    return NPCAlliance.objects.filter(membership).select_related("npc_leader").order_by("world_id", "name", "id")


@dataclass
class NPCOverview:
    """Everything the NPC page shows, each list short and recent."""

    npc: NPC
    world_states: list
    relationships: list
    memories: list
    decisions: list
    battles: list
    trades: list
    messages: list
    alliances: list
    history: list = field(default_factory=list)


def npc_overview(*, npc_id: int, recent: int = 10) -> NPCOverview:
    """The NPC page: world states, relationships, recent logs and alliances (one query each)."""
    npc = NPC.objects.prefetch_related(
        Prefetch("world_states", queryset=NPCWorldState.objects.order_by("world_id"))
    ).get(pk=npc_id)
    return NPCOverview(
        npc=npc,
        world_states=list(npc.world_states.all()),
        relationships=list(NPCRelationship.objects.filter(npc_id=npc_id).order_by("-trust_score", "id")[:recent]),
        memories=list(NPCMemory.objects.filter(npc_id=npc_id).order_by("-occurred_at", "-id")[:recent]),
        decisions=list(NPCDecision.objects.filter(npc_id=npc_id).order_by("-created_at", "-id")[:recent]),
        battles=list(NPCBattle.objects.filter(npc_id=npc_id).order_by("-occurred_at", "-id")[:recent]),
        trades=list(NPCTrade.objects.filter(npc_id=npc_id).order_by("-created_at", "-id")[:recent]),
        messages=list(NPCMessage.objects.filter(from_npc_id=npc_id).order_by("-sent_at", "-id")[:recent]),
        alliances=list(npc_alliances(npc=npc)),
        history=list(npc_template_history(npc_id=npc_id)[:recent]),
    )


def npcs_idle_since(*, hours: float) -> QuerySet[NPC]:
    """Active, unpaused NPCs whose last activity is older than `hours`."""
    cutoff = timezone.now() - datetime.timedelta(hours=hours)
    return NPC.objects.filter(active=True, paused=False, last_active__lt=cutoff)


def console_dashboard_counts(*, idle_hours: float = 24) -> dict[str, int]:
    """The numbers on the console's home page (NPCs are few; the decision count uses its index)."""
    since = timezone.now() - datetime.timedelta(hours=1)
    cutoff = timezone.now() - datetime.timedelta(hours=idle_hours)
    counts = NPC.objects.aggregate(
        active_npcs=Count("id", filter=Q(active=True, paused=False)),
        paused_npcs=Count("id", filter=Q(paused=True)),
        inactive_npcs=Count("id", filter=Q(active=False)),
        idle_npcs=Count("id", filter=Q(active=True, paused=False, last_active__lt=cutoff)),
    )
    counts["decisions_last_hour"] = NPCDecision.objects.filter(created_at__gte=since).count()
    counts["idle_hours"] = idle_hours
    return counts


def nav_count_npcs() -> tuple[int, str]:
    """The dashboard's NPCs card (npcadmin.navigation)."""
    counts = console_dashboard_counts()
    return counts["active_npcs"], f"active · {counts['paused_npcs']} paused"


def nav_count_decisions() -> tuple[int, str]:
    """The dashboard's Mind card: decisions taken in the last hour (uses the created_at index)."""
    since = timezone.now() - datetime.timedelta(hours=1)
    return NPCDecision.objects.filter(created_at__gte=since).count(), "decisions in the last hour"
