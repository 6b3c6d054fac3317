"""Where apps say who a player id of a world is, for people (a registry; imports no app).

The global database knows which player ids are NPCs (`npc_world_state`); whatever else a world
knows about its players lives in that world's database, which only the worlds app reads. Each
app's `names.py` may register a resolver:

    from npcadmin import names

    @names.register
    def player_hints(world_id: str, player_ids: set[int]) -> dict[int, str]: ...

A resolver returns a short hint per player id it knows (e.g. the player's villages), runs one
query per world, and returns {} when its world is unavailable: a page must never fail because a
world database is down. `npcs.selectors.people_named` calls them.
"""

from __future__ import annotations

from collections.abc import Callable

from npcadmin.registry import Registry

_resolvers = Registry("names")


def register(func: Callable) -> Callable:
    """Add `func` as its module's player resolver (a decorator)."""
    return _resolvers.add(func.__module__, func)


def player_hints(world_id: str, player_ids: set[int]) -> dict[int, str]:
    """Hints of every registered resolver for the players of one world (later ones fill gaps)."""
    found: dict[int, str] = {}
    for _, resolver in _resolvers.items():
        for player_id, hint in resolver(world_id, player_ids).items():
            found.setdefault(player_id, hint)
    return found
