"""The one write of the mind pages: a game master adjusts a memory's importance or expiry.

Recorded in the one audit trail (`npcadmin.audit.record`, via "mind"): who, the old and new
values, and the reason; `memory_audit_trail` reads it back for the adjust page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction

from npcadmin import audit
from npcs.models import NPCMemory

ADJUSTABLE_FIELDS = ("importance", "expires_at")


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime.datetime) else value


@transaction.atomic
def memory_adjust(
    *,
    memory: NPCMemory,
    by_user,
    importance: float,
    expires_at: datetime.datetime | None,
    reason: str = "",
) -> NPCMemory:
    """Set a memory's importance and expiry, and record who changed what, from what, and why.

    Only these two columns are written (the engine's `accessed_count` / `last_accessed` are
    never touched); the row is locked and addressed with its partition key so only one
    partition is scanned. Returns the memory unchanged, with no audit entry, when nothing differs.
    """
    locked = (
        NPCMemory.objects.select_for_update()
        .filter(pk=memory.pk, occurred_at=memory.occurred_at)
        .get()
    )
    changes = {}
    for name, new in (("importance", importance), ("expires_at", expires_at)):
        old = getattr(locked, name)
        if old != new:
            changes[name] = [_jsonable(old), _jsonable(new)]
            setattr(locked, name, new)
    if not changes:
        return locked
    locked.full_clean(exclude=[f.name for f in NPCMemory._meta.fields if f.name not in ADJUSTABLE_FIELDS])
    NPCMemory.objects.filter(pk=locked.pk, occurred_at=locked.occurred_at).update(
        **{name: getattr(locked, name) for name in changes}
    )
    audit.record(by_user=by_user, via="mind", action="memory.adjust", obj=locked, changes=changes,
                 detail={"reason": reason.strip()})
    return locked


@dataclass(frozen=True)
class AuditRecord:
    """One recorded change of a memory, whoever made it (these pages or the admin)."""

    when: datetime.datetime
    user: str
    summary: str
    values: dict
    reason: str


def memory_audit_trail(memory: NPCMemory, limit: int = 20) -> list[AuditRecord]:
    """Changes recorded for one memory, newest first (these pages, the console or a command)."""
    records = []
    for entry in audit.entries_for(NPCMemory._meta.label_lower, memory.pk)[:limit]:
        fields = ", ".join(NPCMemory._meta.get_field(name).verbose_name for name in entry.changes
                           if name in {f.name for f in NPCMemory._meta.fields}) or entry.action
        records.append(AuditRecord(entry.at, entry.actor_name, f"Changed {fields}.", entry.changes,
                                   (entry.detail or {}).get("reason", "")))
    return records
