"""`{% npc_villages npc_id %}`: an NPC's villages in every world, for any NPC page."""

from django import template

from worlds.selectors import villages_for_npc

register = template.Library()


@register.inclusion_tag("worlds/_npc_villages.html")
def npc_villages(npc_id: int) -> dict:
    return {"world_villages": villages_for_npc(npc_id)}
