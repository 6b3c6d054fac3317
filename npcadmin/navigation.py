"""The product's one navigation: the areas in the sidebar of every page and the dashboard's cards.

npcadmin imports no app: each app's `nav.py` (found by `autodiscover_modules("nav")`) registers
its area with its page's URL name, the permission that opens it and a callable for its live
count:

    from npcadmin import navigation
    navigation.register(navigation.Area("worlds", "Worlds", "worlds:index", "...",
                                        permission="npcadmin.view_worlds", count=nav_count_worlds,
                                        order=20))

A count that fails (Redis down, a world database away) shows as "—", never as an error page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from npcadmin.registry import Registry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Area:
    """One area of the product: its sidebar entry and its dashboard card."""

    key: str
    label: str
    url_name: str
    description: str
    permission: str | None = None  # a Django permission; staff is always required
    count: Callable[[], tuple[int | None, str]] | None = None  # (number, caption) for the card
    order: int = 100


_areas = Registry("nav")


def register(area: Area) -> Area:
    """Add (or replace) an area; apps call it from their `nav.py`."""
    return _areas.add(area.key, area)


def areas() -> list[Area]:
    """Every registered area in sidebar order."""
    return sorted((area for _, area in _areas.items()), key=lambda a: (a.order, a.key))


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
    for area in areas():
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
        area = next(a for a in areas() if a.key == entry["key"])
        number, caption = None, ""
        if area.count:
            try:
                number, caption = area.count()
            except Exception:  # noqa: BLE001 - a card must never take the dashboard down
                logger.warning("dashboard count of %s failed", area.key, exc_info=False)
        cards.append({**entry, "number": number, "caption": caption})
    return cards
