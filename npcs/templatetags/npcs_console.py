"""Template tags of the console's home page."""

from django import template

from npcs.selectors import console_dashboard_counts

register = template.Library()


@register.simple_tag
def console_counts(idle_hours: float = 24):
    """Active/paused NPCs, decisions in the last hour, NPCs idle too long (two cheap queries)."""
    return console_dashboard_counts(idle_hours=idle_hours)


@register.simple_tag
def person(name):
    """A `selectors.Name` as text, linked to the NPC's page when it is an NPC."""
    from django.urls import reverse
    from django.utils.html import format_html

    if name is None:
        return "—"
    npc_id = getattr(name, "npc_id", None)
    if npc_id is None:
        return str(name)
    return format_html('<a href="{}">{}</a>', reverse("admin:npcs_npc_overview", args=[npc_id]), name)
