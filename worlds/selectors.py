"""Reads of the world databases, each returning rows with their joins already made.

NPC names live in the global database: pages fetch them for a whole page in one query
(`npc_names`) instead of one per row.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet

from npcs.models import NPC, NPCWorldState
from npcs.selectors import npc_names  # noqa: F401  (re-exported: world pages name NPCs per page)
from worlds.faults import WorldUnavailable, world_faults
from worlds.models import NPCBuildQueueHistory, NPCVillageConfig, Village

RECENT_BUILDS_PER_VILLAGE = 3



def npcs_in_world(world_id: str) -> list[tuple[int, str]]:
    """(id, name) of the NPCs that play `world_id`, by name: the NPC filter's choices."""
    return list(NPCWorldState.objects.filter(world_id=world_id).order_by("npc__name", "npc_id")
                .values_list("npc_id", "npc__name"))


def npc_villages_in_world(world_id: str, *, npc_id: int | None = None, village_type: str | None = None,
                          search: str = "") -> QuerySet[NPCVillageConfig]:
    """NPC-run villages of a world with their village, by village name (see `attach_recent_builds`)."""
    configs = (NPCVillageConfig.objects.in_world(world_id).select_related("village")
               .order_by("village__name", "village_id"))
    if npc_id is not None:
        configs = configs.filter(npc_id=npc_id)
    if village_type:
        configs = configs.filter(village_type=village_type)
    if search:
        configs = configs.filter(village__name__icontains=search)
    return configs


def attach_recent_builds(world_id: str, villages: list[Village], limit: int = RECENT_BUILDS_PER_VILLAGE) -> None:
    """Set `village.recent_builds` (newest first, running builds on top) for a page of villages.

    One query: a LATERAL top-`limit` per village that `idx_build_queue_village_recent` answers
    with a few index entries per village. (A window-function prefetch ranks every build of every
    village on the page: 1.7 s at 10,000 builds a village, against 10 ms.)
    """
    by_village = {v.pk: v for v in villages}
    for village in villages:
        village.recent_builds = []
    if not villages:
        return
    builds = NPCBuildQueueHistory.objects.in_world(world_id).raw(
        """
        SELECT recent.* FROM unnest(%s::integer[]) AS page(village_id)
        CROSS JOIN LATERAL (
            SELECT * FROM npc_build_queue_history b WHERE b.village_id = page.village_id
            ORDER BY b.completed_at DESC, b.id DESC LIMIT %s
        ) AS recent
        ORDER BY recent.village_id, recent.completed_at DESC, recent.id DESC
        """,
        [list(by_village), limit],
    )
    for build in builds:
        by_village[build.village_id].recent_builds.append(build)


def village_config_in_world(world_id: str, village_id: int) -> NPCVillageConfig:
    """One NPC village's configuration with its village (DoesNotExist if the village is not NPC-run)."""
    return NPCVillageConfig.objects.in_world(world_id).select_related("village").get(pk=village_id)


def build_history_in_world(world_id: str, *, building: str = "", npc_id: int | None = None,
                           village_id: int | None = None, completed_from: datetime.datetime | None = None,
                           completed_to: datetime.datetime | None = None) -> QuerySet[NPCBuildQueueHistory]:
    """A world's build history, newest first (builds still running on top), with their villages.

    The time range is on `completed_at`, which `idx_build_queue_completed` serves.
    """
    builds = (NPCBuildQueueHistory.objects.in_world(world_id).select_related("village")
              .order_by("-completed_at", "-id"))
    if building:
        builds = builds.filter(building_name=building)
    if npc_id is not None:
        builds = builds.filter(npc_id=npc_id)
    if village_id is not None:
        builds = builds.filter(village_id=village_id)
    if completed_from is not None:
        builds = builds.filter(completed_at__gte=completed_from)
    if completed_to is not None:
        builds = builds.filter(completed_at__lt=completed_to)
    return builds


def world_summary(world_id: str) -> dict:
    """How many villages and NPC villages a world has (the world chooser's cards)."""
    with world_faults(world_id):
        return {
            "npc_villages": NPCVillageConfig.objects.in_world(world_id).count(),
            "villages": Village.objects.in_world(world_id).count(),
        }


@dataclass
class WorldVillages:
    """An NPC's villages in one world, or why they could not be read."""

    world_id: str
    player_id: int | None
    villages: list[Village] = field(default_factory=list)
    error: str = ""


def villages_for_npc(npc_id: int) -> list[WorldVillages]:
    """The NPC's villages (with their NPC configuration) in every world it plays.

    One query on the global database for its player ids, then one per world. A world whose
    database is down gives an entry with `error` set instead of failing the whole page.
    """
    player_ids = dict(NPCWorldState.objects.filter(npc_id=npc_id, world_id__in=settings.NPCADMIN_WORLDS)
                      .values_list("world_id", "player_id"))
    result = []
    for world_id in settings.NPCADMIN_WORLDS:
        if world_id not in player_ids:
            continue
        entry = WorldVillages(world_id=world_id, player_id=player_ids[world_id])
        try:
            with world_faults(world_id):
                # owned by its player, or configured for it: a UNION of two indexed lookups
                # (idx_villages_player, idx_npc_village_npc) rather than an OR over a join.
                ids = (Village.objects.in_world(world_id).filter(player_id=entry.player_id).values("pk")
                       .union(NPCVillageConfig.objects.in_world(world_id).filter(npc_id=npc_id).values("pk")))
                entry.villages = list(Village.objects.in_world(world_id).filter(pk__in=ids)
                                      .select_related("npc_config").order_by("-is_capital", "name", "id"))
        except WorldUnavailable as fault:
            entry.error = fault.reason
        result.append(entry)
    return result


@dataclass
class OrphanReport:
    """World rows whose `npc_id` names no NPC in the global database (seed flaw 6)."""

    world_id: str
    npc_ids: list[int]
    configs: int
    builds: int

    @property
    def rows(self) -> int:
        return self.configs + self.builds


def world_orphans(world_id: str) -> OrphanReport:
    """Find the world's NPC rows whose NPC no longer exists (one query per table, one global)."""
    configs = NPCVillageConfig.objects.in_world(world_id)
    builds = NPCBuildQueueHistory.objects.in_world(world_id)
    referenced = set(configs.values_list("npc_id", flat=True).distinct().order_by())
    referenced |= set(builds.values_list("npc_id", flat=True).distinct().order_by())
    orphan_ids = sorted(referenced - set(NPC.objects.filter(pk__in=referenced).values_list("pk", flat=True)))
    if not orphan_ids:
        return OrphanReport(world_id=world_id, npc_ids=[], configs=0, builds=0)
    return OrphanReport(
        world_id=world_id,
        npc_ids=orphan_ids,
        configs=configs.filter(npc_id__in=orphan_ids).count(),
        builds=builds.filter(npc_id__in=orphan_ids).count(),
    )


def nav_count_worlds() -> tuple[int, str]:
    """The dashboard's Worlds card: configured worlds and how many are reachable now."""
    worlds = list(settings.NPCADMIN_WORLDS)
    return len(worlds), "game worlds" if len(worlds) != 1 else "game world"
