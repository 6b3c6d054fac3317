"""The runtime's side of the console's change announcements (npcs.changes): Redis, after the commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.dispatch import receiver

from npcs.changes import npc_changed, npcs_stopped
from npcs.runtime.client import RuntimeUnavailable
from npcs.runtime.sync import SyncRuntime

logger = logging.getLogger(__name__)


@receiver(npc_changed, dispatch_uid="runtime-publish-npc-change")
def publish_npc_change(sender, *, message: dict, **kwargs) -> None:
    """Publish the change on `npcadmin:changes`; PostgreSQL's NOTIFY is already sent, so an outage is logged."""
    try:
        SyncRuntime().publish_change(message)
    except RuntimeUnavailable as exc:
        logger.warning("change of NPC %s not published on Redis: %s", message["npc_id"], exc)


@receiver(npcs_stopped, dispatch_uid="runtime-park-stopped-npcs")
def park_stopped_npcs(sender, *, npc_ids: Iterable[int], **kwargs) -> dict[int, dict[str, int]]:
    """Park the queued decisions and delete `npc:state` / `npc:active` of each NPC; Redis down is logged."""
    runtime, done = SyncRuntime(), {}
    for npc_id in npc_ids:
        try:
            done[npc_id] = runtime.park_npc(npc_id)
        except RuntimeUnavailable as exc:
            logger.warning("NPC %s stopped but its runtime keys stay (Redis unavailable: %s); "
                           "run `manage.py runtime_forget_npc %s` when Redis is back", npc_id, exc, npc_id)
    return done
