"""Database routing: world models go to their world's database, everything else to `default`.

A world model is any model whose app label is `worlds` (except those flagged
`global_model`). Its database is chosen per call: querysets are always used with
`.using(world_db(world_id))`; the router's job is to keep them from ever landing in
the global database and to migrate world tables only into world databases.
"""

from __future__ import annotations

from django.conf import settings

WORLD_APP = "worlds"


def world_db(world_id: str) -> str:
    """The database alias of a configured world; KeyError-free check with a clear message."""
    if world_id not in settings.NPCADMIN_WORLDS:
        raise LookupError(f"unknown world {world_id!r}; configured: {settings.NPCADMIN_WORLDS}")
    return f"world_{world_id}"


def is_world_db(alias: str) -> bool:
    return alias.startswith("world_")


def world_of_db(alias: str) -> str:
    return alias.removeprefix("world_")


class WorldRouter:
    """Keep world tables in world databases and global tables in the global one."""

    def _is_world_model(self, model) -> bool:
        return model._meta.app_label == WORLD_APP and not getattr(model, "global_model", False)

    def db_for_read(self, model, **hints):
        if self._is_world_model(model):
            instance = hints.get("instance")
            if instance is not None and instance._state.db:
                return instance._state.db
            return None  # callers must say .using(world_db(...)); default is refused below
        return "default"

    def db_for_write(self, model, **hints):
        return self.db_for_read(model, **hints)

    def allow_relation(self, obj1, obj2, **hints):
        return obj1._state.db == obj2._state.db

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if is_world_db(db):
            return app_label == WORLD_APP
        if app_label == WORLD_APP:
            return bool(hints.get("global_model", False))
        return True
