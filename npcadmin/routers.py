"""Database routing: world models go to a world's database, everything else to `default`.

Every model of the `worlds` app is a *world model*: its rows live in one world database per
game server (`world_<id>`), and which world is a choice the caller makes explicitly:

    Village.objects.in_world("demo")          # = .using(world_db("demo"))
    config.save()                             # an instance goes back to the world it came from

A world model with no world chosen (no `.in_world()`, an unsaved instance with no world)
raises `WorldNotSelected` instead of silently falling back to `default`, so a world row can
never be written to the global database. The migration rules make it airtight at the
database level too: world tables exist only in world databases and global tables only in
`default`, so a write that bypasses the router (`.using("default")`) fails loudly.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

WORLD_APP = "worlds"
WORLD_DB_PREFIX = "world_"


class WorldNotSelected(LookupError):
    """A world model was queried or saved without saying which world's database to use."""


def world_db(world_id: str) -> str:
    """The database alias of a configured world (LookupError for an unknown world)."""
    if world_id not in settings.NPCADMIN_WORLDS:
        raise LookupError(f"unknown world {world_id!r}; configured: {', '.join(settings.NPCADMIN_WORLDS)}")
    return f"{WORLD_DB_PREFIX}{world_id}"


def is_world_db(alias: str | None) -> bool:
    return bool(alias) and alias.startswith(WORLD_DB_PREFIX)


def world_of_db(alias: str) -> str:
    """The world id of a world database alias (`world_demo` → `demo`)."""
    if not is_world_db(alias):
        raise LookupError(f"{alias!r} is not a world database")
    return alias.removeprefix(WORLD_DB_PREFIX)


def is_world_model(model) -> bool:
    return model._meta.app_label == WORLD_APP


# Django's own unique checks query `_default_manager` without a database or hints (Model.
# _perform_unique_checks); `world_of(instance)` lends them the instance's world for their duration.
_lent_world_db: ContextVar[str | None] = ContextVar("lent_world_db", default=None)


@contextlib.contextmanager
def world_of(instance):
    """Route world-model queries that carry no hints to `instance`'s world while inside."""
    token = _lent_world_db.set(instance._state.db if is_world_db(instance._state.db) else None)
    try:
        yield
    finally:
        _lent_world_db.reset(token)


class WorldRouter:
    """Keep world tables in world databases and global tables in the global one."""

    def db_for_read(self, model, **hints):
        if not is_world_model(model):
            return "default"
        instance = hints.get("instance")
        db = getattr(getattr(instance, "_state", None), "db", None)
        if is_world_db(db):
            return db
        if lent := _lent_world_db.get():
            return lent
        raise WorldNotSelected(
            f"{model._meta.label}: no world chosen; use {model.__name__}.objects.in_world(world_id) "
            "or load the instance from a world first"
        )

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        # Only rows of the same database may point at each other (a world's village and its
        # config; never a world row and a global NPC: that link is `npc_id`, checked in code).
        return obj1._state.db == obj2._state.db

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return is_world_db(db) == (app_label == WORLD_APP)



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
