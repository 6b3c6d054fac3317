"""How the engine hears the console: change notifications and taking stopped NPCs off the runtime.

Part of the contract (docs/schema.md, "Change notifications"):

- `pg_notify('npcadmin_changes', <json>)` in the same transaction as the change, so PostgreSQL
  delivers it on COMMIT and never for a rolled-back change;
- the same JSON published on the Redis channel `npcadmin:changes` after the commit.

The JSON is `{"npc_id": 12, "action": "updated", "changed": ["behavior_template"], "version": 4,
"at": "2026-12-01T22:40:00+00:00"}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

PG_CHANNEL = "npcadmin_changes"

# Sent after the commit; the runtime app (npcs.runtime.receivers) publishes on Redis and parks.
npc_changed = Signal()  # message=<the JSON above, as a dict>
npcs_stopped = Signal()  # npc_ids=[...]: paused, deactivated or deleted


def announce_npc_change(*, npc_id: int, changed: Iterable[str], version: int | None, action: str = "updated") -> dict:
    """Tell the engine an NPC or its template changed: pg_notify now (delivered on commit), Redis on commit."""
    message = {"npc_id": int(npc_id), "action": action, "changed": sorted(set(changed)), "version": version,
               "at": timezone.now().isoformat()}
    payload = json.dumps(message, separators=(",", ":"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [PG_CHANNEL, payload])
    transaction.on_commit(lambda: npc_changed.send(sender=None, message=message), robust=True)
    return message


def park_runtime_after_commit(npc_ids: Iterable[int]) -> None:
    """After the commit that paused, deactivated or deleted these NPCs, take them off the runtime.

    After, not before: once the row says paused, an engine that obeys it never runs the NPC,
    and a rolled-back pause parks nothing. The runtime app receives `npcs_stopped` and runs one
    atomic Lua script per NPC (npcs.runtime.receivers).
    """
    ids = sorted({int(i) for i in npc_ids})
    if ids:
        transaction.on_commit(lambda: npcs_stopped.send(sender=None, npc_ids=ids), robust=True)
