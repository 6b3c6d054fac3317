"""The mind pages' time zone (who may open them is `npcadmin.access.requires`)."""

from __future__ import annotations

import datetime
import functools

from django.utils import timezone


def in_utc(view):
    """Show and read times in UTC: NPCs and players live in many time zones, and date ranges
    and per-day aggregates are UTC days, so the pages say "UTC" and mean it."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with timezone.override(datetime.UTC):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    return wrapper
