"""What every world model shares: a manager whose querysets say which world they read."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from npcadmin.routers import world_db, world_of, world_of_db


class WorldQuerySet(models.QuerySet):
    """A queryset of a world model; `in_world(id)` chooses the world's database."""

    def in_world(self, world_id: str):
        return self.using(world_db(world_id))


WorldManager = models.Manager.from_queryset(WorldQuerySet)


class WorldModel(models.Model):
    """A row of one world database; `world_id` says which (None until it has one)."""

    objects = WorldManager()

    class Meta:
        abstract = True

    @property
    def world_id(self) -> str | None:
        return world_of_db(self._state.db) if self._state.db else None

    def validate_unique(self, exclude=None):
        with world_of(self):  # Django's unique checks would otherwise not know the world
            super().validate_unique(exclude=exclude)

    def place_in_world(self, world_id: str):
        """Bind an unsaved instance to a world so that `full_clean()` and `save()` know where."""
        if self._state.db and self._state.db != world_db(world_id):
            raise ValueError(f"{self!r} already belongs to world {self.world_id!r}")
        self._state.db = world_db(world_id)
        return self


def validate_npc_exists(npc_id: int) -> None:
    """`npc_id` refers to the global `npcs.id` across databases (seed flaw 6): check it here."""
    from npcs.models import NPC

    if npc_id is not None and not NPC.objects.filter(pk=npc_id).exists():
        raise ValidationError(f"There is no NPC with id {npc_id} in the global database.", code="npc_missing")
