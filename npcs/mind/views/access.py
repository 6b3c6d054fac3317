"""Who may open the mind pages (staff with the model's permission), and in which time zone."""

from __future__ import annotations

import datetime
import functools

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.utils import timezone


def staff_with_permission(perm: str):
    """Staff only (others go to the console's login page), then `perm` or 403."""

    def decorator(view):
        return staff_member_required(permission_required(perm, raise_exception=True)(view))

    return decorator


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
