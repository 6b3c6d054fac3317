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
import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

PG_CHANNEL = "npcadmin_changes"


def announce_npc_change(*, npc_id: int, changed: Iterable[str], version: int | None, action: str = "updated") -> dict:
    """Tell the engine an NPC or its template changed: pg_notify now (delivered on commit), Redis on commit."""
    message = {"npc_id": int(npc_id), "action": action, "changed": sorted(set(changed)), "version": version,
               "at": timezone.now().isoformat()}
    payload = json.dumps(message, separators=(",", ":"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [PG_CHANNEL, payload])
    transaction.on_commit(lambda: _publish(message), robust=True)
    return message


def _publish(message: dict) -> None:
    from npcs.runtime.client import RuntimeUnavailable
    from npcs.runtime.sync import SyncRuntime

    try:
        SyncRuntime().publish_change(message)
    except RuntimeUnavailable as exc:  # PostgreSQL's NOTIFY was sent; Redis is the second channel
        logger.warning("change of NPC %s not published on Redis: %s", message["npc_id"], exc)


def park_runtime_after_commit(npc_ids: Iterable[int]) -> None:
    """After the commit that paused, deactivated or deleted these NPCs, take them off the runtime.

    After, not before: once the row says paused, an engine that obeys it never runs the NPC,
    and a rolled-back pause parks nothing. Each NPC is one atomic Lua script (`park_npc`).
    """
    ids = sorted({int(i) for i in npc_ids})
    if ids:
        transaction.on_commit(lambda: npcs_park_runtime(npc_ids=ids), robust=True)


def npcs_park_runtime(*, npc_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Park the queued decisions and delete `npc:state` / `npc:active` of each NPC; Redis down is logged."""
    from npcs.runtime.client import RuntimeUnavailable
    from npcs.runtime.sync import SyncRuntime

    runtime, done = SyncRuntime(), {}
    for npc_id in npc_ids:
        try:
            done[npc_id] = runtime.park_npc(npc_id)
        except RuntimeUnavailable as exc:
            logger.warning("NPC %s stopped but its runtime keys stay (Redis unavailable: %s); "
                           "run `manage.py runtime_forget_npc %s` when Redis is back", npc_id, exc, npc_id)
    return done
