"""The one write of the mind pages: a game master adjusts a memory's importance or expiry.

Audited with django.contrib.admin's `LogEntry` (no new table: the change shows in the admin's
"Recent actions" and in the memory's history, next to changes made through the admin). The
change message is the admin's JSON format plus the old and new values and the reason.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

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
    fields = [NPCMemory._meta.get_field(name).verbose_name.capitalize() for name in changes]
    LogEntry.objects.log_actions(
        user_id=by_user.pk,
        queryset=[locked],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": fields}, "values": changes, "reason": reason.strip()}],
        single_object=True,
    )
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
    """Changes recorded for one memory, newest first."""
    entries = (
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(NPCMemory), object_id=str(memory.pk))
        .select_related("user")
        .order_by("-action_time", "-id")[:limit]
    )
    records = []
    for entry in entries:
        try:
            parts = json.loads(entry.change_message)
        except ValueError:
            parts = []
        values, reason = {}, ""
        for part in parts if isinstance(parts, list) else []:
            if isinstance(part, dict):
                values.update(part.get("values") or {})
                reason = part.get("reason") or reason
        records.append(AuditRecord(entry.action_time, entry.user.get_username() if entry.user else "",
                                   entry.get_change_message(), values, reason))
    return records
