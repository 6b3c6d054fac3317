"""Who a player of a world is, as far as its database knows: the seed's world tables have no
player names, only villages with an owner (`villages.player_id`), so a player who is not an NPC is
shown as "player #id" with the name of its first village (by name) when the world has one."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Min

from npcadmin import names
from worlds.faults import WorldUnavailable, world_faults
from worlds.models import Village


@names.register
def village_owners(world_id: str, player_ids: set[int]) -> dict[int, str]:
    """{player id: "Oakford" or "Oakford +2 villages"} in one query; {} when the world is down."""
    if world_id not in settings.NPCADMIN_WORLDS or not player_ids:
        return {}
    try:
        with world_faults(world_id):
            rows = list(Village.objects.in_world(world_id).filter(player_id__in=sorted(player_ids))
                        .values("player_id").annotate(first=Min("name"), villages=Count("id")))
    except WorldUnavailable:
        return {}
    return {row["player_id"]: row["first"] + (f" +{row['villages'] - 1} villages" if row["villages"] > 1 else "")
            for row in rows}
