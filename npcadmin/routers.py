"""Database routing: world models go to their world's database, everything else to `default`.

A world model is any model whose app label is `worlds` (except those flagged
`global_model`). Its database is chosen per call: querysets are always used with
`.using(world_db(world_id))`; the router's job is to keep them from ever landing in
the global database and to migrate world tables only into world databases.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

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


# --- Read replica of the global database ---------------------------------------------------
REPLICA = "replica"
# Security decisions (a deactivated user, a revoked permission, a logged-out session) must
# take effect at once, so these apps are always read from the primary.
PRIMARY_ONLY_APPS = frozenset({"auth", "sessions"})
_pinned_to_primary: ContextVar[bool] = ContextVar("npcadmin_pinned_to_primary", default=False)


def pin_to_primary(pinned: bool = True):
    """Send this request's (or task's) further reads of global tables to the primary; returns a token."""
    return _pinned_to_primary.set(pinned)


def unpin(token) -> None:
    _pinned_to_primary.reset(token)


def is_pinned_to_primary() -> bool:
    return _pinned_to_primary.get()


class ReplicaRouter:
    """Global reads go to the `replica` alias (DATABASE_REPLICA_URL), global writes to `default`.

    Listed before `WorldRouter` only when a replica is configured; world models are left to
    `WorldRouter` (returning None passes the decision on). Reads stay on the primary when
    they could see stale data otherwise: inside a transaction on `default`, after this
    request/task wrote anything (read-your-writes), and for a few seconds after a browser
    posted a form (`ReplicaPinMiddleware` in npcadmin/replica.py).
    """

    def _is_global(self, model) -> bool:
        return not (model._meta.app_label == WORLD_APP and not getattr(model, "global_model", False))

    def db_for_read(self, model, **hints):
        if not self._is_global(model) or REPLICA not in settings.DATABASES:
            return None
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        if is_pinned_to_primary() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        if not self._is_global(model):
            return None
        _pinned_to_primary.set(True)  # read-your-writes for the rest of this request/task
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        same_data = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in same_data and obj2._state.db in same_data:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == REPLICA:
            return False  # the replica follows the primary by replication, never by migrate
        return None
