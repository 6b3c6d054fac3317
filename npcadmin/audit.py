"""The one audit trail: `record(...)` from every service, view and command that writes.

    audit.record(by_user=request.user, via="runtime", action="runtime.queue_purge",
                 object_type="runtime.queue", object_id="high", detail={"removed": 12})
    audit.record(by_user=user, via="console", action="npc.update", obj=npc,
                 changes=audit.diff(before, after))

`by_user` is a user, or None with `actor` naming a command (`command:runtime_queues`). Entries
are written in the caller's transaction on the global database, so a write that rolls back
leaves no entry behind. Shown on the audit page (filters by user, object and time) and on
each NPC's page.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import uuid

from django.db import models

# Where a write came from: the console (admin), the runtime pages, the world pages, the mind
# pages, or a management command.
VIA = ("console", "runtime", "worlds", "mind", "command")
# Fields whose values never go into the trail (only that they changed).
SECRET_FIELDS = ("password", "password1", "password2")

_command: contextvars.ContextVar[str] = contextvars.ContextVar("npcadmin_audit_command", default="")


@contextlib.contextmanager
def as_command(name: str):
    """Inside a management command: writes without a user are recorded as `command:<name>`."""
    token = _command.set(f"command:{name}")
    try:
        yield
    finally:
        _command.reset(token)


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): "***" if k in SECRET_FIELDS else _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields=None) -> dict:
    """The concrete field values of `obj` (attnames, so foreign keys are ids), JSON-ready."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    return {name: _jsonable(getattr(obj, name)) for name in names}


def diff(before: dict, after: dict) -> dict:
    """`{field: [before, after]}` for the fields whose value changed."""
    before, after = _jsonable(before), _jsonable(after)
    return {key: [before.get(key), after.get(key)] for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)}


def _entry(*, by_user=None, actor: str = "", via: str, action: str, obj: models.Model | None = None,
           object_type: str = "", object_id="", object_repr: str = "", changes: dict | None = None,
           detail: dict | None = None):
    from npcadmin.models import AuditEntry

    if via not in VIA:
        raise ValueError(f"via must be one of {VIA}, not {via!r}")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
    user = by_user if by_user is not None and getattr(by_user, "is_authenticated", False) else None
    if user is None and _command.get():
        actor, via = _command.get(), "command"
    if not (user or actor):
        raise ValueError("an audit entry needs by_user or actor (e.g. 'command:<name>')")
    return AuditEntry(
        actor=user, actor_name=(user.get_username() if user else actor)[:150], via=via, action=action,
        object_type=object_type, object_id=str(object_id)[:200], object_repr=str(object_repr)[:200],
        changes=_jsonable(changes or {}), detail=_jsonable(detail or {}),
    )


def record(**entry):
    """Write one audit entry; returns it. Takes `by_user` or `actor`, `via`, `action`, and `obj`
    (which fills the object's type, id and name) or `object_type`/`object_id`/`object_repr`,
    `changes` and `detail`.

    Without a user, inside `as_command(...)` the entry names the command (and `via` becomes
    "command"); otherwise `actor` must say who it was."""
    audit_entry = _entry(**entry)
    audit_entry.save()
    return audit_entry


def record_many(entries) -> list:
    """`record` for many writes at once (a bulk import): one INSERT for all the entries."""
    from npcadmin.models import AuditEntry

    return AuditEntry.objects.bulk_create([_entry(**entry) for entry in entries])


def entries_for(object_type: str, object_id) -> models.QuerySet:
    """The entries about one object, newest first (the NPC page's section)."""
    from npcadmin.models import AuditEntry

    return AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id)).select_related("actor")


class AuditedAdminMixin:
    """For a `ModelAdmin`: form saves and deletes go to the audit trail (fields before → after)
    instead of Django's `LogEntry`. Admins whose saves call a service that records set
    `audited_by_service = True`."""

    audited_by_service = False

    def save_model(self, request, obj, form, change):
        fields = list(form.changed_data)
        before = {name: form.initial.get(name) for name in fields} if change else {}
        super().save_model(request, obj, form, change)
        if self.audited_by_service or (change and not fields):
            return
        after = {name: form.cleaned_data.get(name) for name in fields}
        record(by_user=request.user, via="console", action=f"{obj._meta.model_name}.{'update' if change else 'create'}",
               obj=obj, changes=diff(before, after) if change else {k: [None, v] for k, v in _jsonable(after).items()})

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for formset in formsets:
            if formset.has_changed() and not self.audited_by_service:
                record(by_user=request.user, via="console", action=f"{form.instance._meta.model_name}.update",
                       obj=form.instance, detail={"inline": formset.prefix, "changed": True})

    def delete_model(self, request, obj):
        before, label = snapshot(obj), str(obj)
        object_type, object_id = obj._meta.label_lower, obj.pk
        super().delete_model(request, obj)
        if not self.audited_by_service:
            record(by_user=request.user, via="console", action=f"{obj._meta.model_name}.delete",
                   object_type=object_type, object_id=object_id, object_repr=label,
                   changes={k: [v, None] for k, v in before.items()})

    def delete_queryset(self, request, queryset):
        doomed = [(o._meta.label_lower, o.pk, str(o), snapshot(o)) for o in queryset]
        super().delete_queryset(request, queryset)
        for object_type, object_id, label, before in doomed:
            record(by_user=request.user, via="console", action=f"{object_type.split('.')[1]}.delete",
                   object_type=object_type, object_id=object_id, object_repr=label,
                   changes={k: [v, None] for k, v in before.items()})

    # One trail: Django's LogEntry is not written any more.
    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None

    def log_deletions(self, request, queryset):
        return None
