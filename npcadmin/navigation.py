"""The product's one navigation: the areas in the sidebar of every page and the dashboard's cards.

npcadmin imports no app: an area names its page by URL name and its live count by dotted path,
so an app that is absent (or renamed in a refactor) drops its entry instead of breaking the page.
A count that fails (Redis down, a world database away) shows as "—", never as an error page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    url_name: str
    description: str
    permission: str | None = None  # a Django permission; staff is always required
    count: str | None = None  # dotted path of a callable returning (number, caption)


AREAS: tuple[Area, ...] = (
    Area("npcs", "NPCs console", "admin:npcs_npc_changelist", "Templates, pauses, memories, relationships",
         "npcs.view_npc", "npcs.selectors.nav_count_npcs"),
    Area("worlds", "Worlds", "worlds:index", "Villages, build queues, per-world configuration",
         None, "worlds.selectors.nav_count_worlds"),
    Area("mind", "Mind", "mind:decisions_overview", "LLM use, decision traces, memory recall",
         "npcs.view_npcdecision", "npcs.selectors.nav_count_decisions"),
    Area("runtime", "Runtime", "runtime:overview", "Live queues, rate limits, LLM cache, Redis keys",
         None, "npcs.runtime.selectors.nav_count_queued"),
    Area("analytics", "Analytics", "analytics:index", "Ranks, battles, economy, diplomacy over time",
         "analytics.view_dashboards", "analytics.selectors.nav_count_samples"),
)


def _allowed(user, area: Area) -> bool:
    if not (user.is_active and user.is_staff):
        return False
    return area.permission is None or user.has_perm(area.permission)


def _url(area: Area) -> str | None:
    try:
        return reverse(area.url_name)
    except NoReverseMatch:
        return None


def areas_for(user, *, current_path: str = "") -> list[dict]:
    """The areas this user may open, each with its URL and whether the current page is inside it."""
    entries = []
    for area in AREAS:
        url = _url(area) if _allowed(user, area) else None
        if url is None:
            continue
        entries.append({"key": area.key, "label": area.label, "url": url, "description": area.description,
                        "current": bool(current_path) and current_path.startswith(_area_prefix(url))})
    return entries


def _area_prefix(url: str) -> str:
    # "/admin/npcs/npc/" belongs to the NPCs console; "/worlds/" to Worlds: the first two segments.
    parts = [p for p in url.split("/") if p]
    return "/" + "/".join(parts[:2 if parts and parts[0] == "admin" else 1]) + "/"


def area_counts(user) -> list[dict]:
    """The dashboard's cards: each allowed area with its live number (None when it can't be read)."""
    cards = []
    for entry in areas_for(user):
        area = next(a for a in AREAS if a.key == entry["key"])
        number, caption = None, ""
        if area.count:
            try:
                counter: Callable[[], tuple[int | None, str]] = import_string(area.count)
                number, caption = counter()
            except Exception:  # noqa: BLE001 - a card must never take the dashboard down
                logger.warning("dashboard count %s failed", area.count, exc_info=False)
        cards.append({**entry, "number": number, "caption": caption})
    return cards
