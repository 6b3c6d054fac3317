"""`villages`: the game server's own table in each world database.

NPC Admin models only what the NPC extensions and the dashboards need. When the world
database belongs to a live game (`NPCADMIN_VILLAGES_UNMANAGED=true`) the model is unmanaged:
Django reads it but never creates, alters or drops it (docs/worlds.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from npcs.models.fields import created_at, int_default
from worlds.models.base import WorldModel


class Village(WorldModel):
    """A village on the world map: owner, place, population, stock, production, buildings, troops."""

    id = models.AutoField(primary_key=True)
    player_id = models.IntegerField(help_text="owner (player id in this world; an NPC's is in npc_world_state)")
    name = models.CharField(max_length=100)
    x = models.IntegerField()
    y = models.IntegerField()
    population = int_default(0)
    is_capital = models.BooleanField(default=False, db_default=False)

    wood = int_default(0)
    clay = int_default(0)
    iron = int_default(0)
    wheat = int_default(0)
    wood_production = int_default(0, help_text="per hour")
    clay_production = int_default(0, help_text="per hour")
    iron_production = int_default(0, help_text="per hour")
    wheat_production = int_default(0, help_text="per hour (net of troop upkeep)")
    warehouse_capacity = int_default(800, help_text="wood, clay and iron")
    granary_capacity = int_default(800, help_text="wheat")

    buildings = models.JSONField(default=dict, db_default=models.Value({}, models.JSONField()),
                                 help_text='building levels, e.g. {"barracks": 3}')
    troops = models.JSONField(default=dict, db_default=models.Value({}, models.JSONField()),
                              help_text='units at home, e.g. {"legionnaire": 120}')
    created_at = created_at()

    class Meta:
        db_table = "villages"
        managed = not settings.NPCADMIN_VILLAGES_UNMANAGED
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["x", "y"], name="villages_x_y_key",
                                    violation_error_message="Another village already stands on these coordinates."),
        ]
        indexes = [
            # The NPC pages list an NPC's villages by its player id in each world.
            models.Index(fields=["player_id"], name="idx_villages_player"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.x}|{self.y})"
