"""One world database down or missing must not take anything else with it.

`world_faults(world_id)` turns the database errors of one world into `WorldUnavailable`,
with a message a game master can act on. It goes through the world database's circuit
breaker (`npcadmin.breaker`): once a world's server failed to answer, its pages are answered
"unavailable" at once for a few seconds instead of each waiting out the connect timeout, and
the next request after that interval checks whether it is back. Views get it through `worlds.views.world_view`
(one place); selectors that span worlds (`villages_for_npc`) use it per world.
"""

from __future__ import annotations

import contextlib
import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, ProgrammingError

from npcadmin import breaker
from npcadmin.routers import world_db

logger = logging.getLogger(__name__)


class WorldUnavailable(Exception):
    """A world's database cannot be used right now; `reason` says why, for people."""

    def __init__(self, world_id: str, reason: str):
        super().__init__(f"world {world_id}: {reason}")
        self.world_id = world_id
        self.reason = reason


def _is_missing_table(exc: Exception) -> bool:
    import psycopg.errors

    return isinstance(exc.__cause__, psycopg.errors.UndefinedTable)


def describe_world_fault(world_id: str, exc: Exception) -> str:
    """What went wrong with a world's database, in words that say what to do."""
    config = settings.DATABASES.get(world_db(world_id), {})
    where = f"database {config.get('NAME', '?')!r}"
    detail = (str(exc).strip().splitlines() or ["no detail"])[0]
    for prefix in ("connection failed:", "connection is bad:"):
        detail = detail.removeprefix(prefix).strip()
    detail = detail.replace("FATAL:  ", "")
    if isinstance(exc, ProgrammingError):
        return (f"World {world_id}'s {where} is not migrated ({detail}). "
                f"Run: manage.py migrate_all --world {world_id}")
    if "does not exist" in detail:
        return (f"World {world_id}'s {where} does not exist. "
                f"Create and migrate it with: manage.py migrate_all --world {world_id}")
    return (f"World {world_id}'s {where} cannot be reached ({detail}). "
            "The other worlds and the global pages are not affected; this page recovers by itself "
            "once the database is back.")


def describe_open_circuit(world_id: str, exc: breaker.CircuitOpen) -> str:
    config = settings.DATABASES.get(world_db(world_id), {})
    detail = exc.reason
    for prefix in ("connection failed:", "connection is bad:"):
        detail = detail.removeprefix(prefix).strip()
    return (f"World {world_id}'s database {config.get('NAME', '?')!r} cannot be reached ({detail}); "
            f"it failed {time.time() - exc.since:.0f} s ago and is tried again within {exc.retry_in:.0f} s. "
            "The other worlds and the global pages are not affected; this page recovers by itself "
            "once the database is back.")


@contextlib.contextmanager
def world_faults(world_id: str):
    """Raise `WorldUnavailable` instead of the database errors of `world_id`'s database."""
    try:
        with breaker.guard(world_db(world_id)):
            yield
    except breaker.CircuitOpen as exc:
        raise WorldUnavailable(world_id, describe_open_circuit(world_id, exc)) from exc
    except (OperationalError, InterfaceError) as exc:
        logger.warning("world %s unavailable: %s", world_id, exc)
        raise WorldUnavailable(world_id, describe_world_fault(world_id, exc)) from exc
    except ProgrammingError as exc:
        if not _is_missing_table(exc):
            raise  # a real bug, not a world that is missing its tables
        logger.warning("world %s not migrated: %s", world_id, exc)
        raise WorldUnavailable(world_id, describe_world_fault(world_id, exc)) from exc
