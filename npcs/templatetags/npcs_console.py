"""Template tags of the console's home page."""

from django import template

from npcs.selectors import console_dashboard_counts

register = template.Library()


@register.simple_tag
def console_counts(idle_hours: float = 24):
    """Active/paused NPCs, decisions in the last hour, NPCs idle too long (two cheap queries)."""
    return console_dashboard_counts(idle_hours=idle_hours)
