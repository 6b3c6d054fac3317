"""Links from the mind pages to the console (the admin), which may not register every model."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse


def console_url(model_name: str, pk) -> str | None:
    """The admin change page of an `npcs` object, or None when the console has no such page."""
    try:
        return reverse(f"admin:npcs_{model_name}_change", args=[pk])
    except NoReverseMatch:
        return None
