"""Console writes on rows the engine also writes: edit tokens, per-field conflicts, lock timeouts.

One mechanism for every console form (docs/console.md, "Two writers"):

- the form carries `edit_token`, a signed snapshot of the columns the console may change, as
  they were when the form was rendered (engine-owned columns are not in it: the engine moving a
  counter never refuses a game master's save);
- the save locks the row (`SELECT ... FOR UPDATE` under `SET LOCAL lock_timeout`), compares
  the snapshot with the row's current values column by column and refuses with the list of
  columns that changed (old -> new) when they differ;
- only the columns the person changed are written (`update_fields`), so an unchanged save
  writes nothing and an engine increment is never reverted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import OperationalError, connections, transaction
from django.utils import timezone
from django.utils.html import format_html, format_html_join

_SALT = "npcadmin.edit-token"
LOCK_NOT_AVAILABLE = "55P03"
ROW_LOCKED_MESSAGE = ("The engine is holding this row (it is writing it right now); nothing was saved. "
                      "Try again in a moment: your input is still in the form.")


class RowLocked(Exception):
    """The row stayed locked by another transaction (the engine) for longer than the lock timeout."""

    def __init__(self, message: str = ROW_LOCKED_MESSAGE):
        super().__init__(message)


@dataclass(frozen=True)
class FieldChange:
    """One column that someone else changed after the editor loaded the row."""

    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.field.replace('_', ' ')}: {show(self.old)} → {show(self.new)}"


class EditConflict(Exception):
    """The row changed after the editor loaded it; `changes` says which columns, old -> new."""

    def __init__(self, current, changes: list[FieldChange]):
        self.current = current
        self.changes = changes
        listed = "; ".join(str(c) for c in changes) or "the row was replaced"
        super().__init__(f"{current._meta.verbose_name} {current.pk} was changed by someone else ({listed}).")


def show(value) -> str:
    """A value as a person reads it in a conflict message (JSON for lists and objects)."""
    if value is None:
        return "empty"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S %Z}"
    return str(value)


def _canonical(value) -> str:
    """Exact text of a value: 1, 1.0 and true stay three different values (as they are in JSONB)."""
    return json.dumps(value, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def same_json(a, b) -> bool:
    """Whether two values are the same JSON, exactly (1 and 1.0 differ; key order does not matter)."""
    return _canonical(a) == _canonical(b)


def row_snapshot(obj, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` (attnames, so a foreign key is its id) of a model instance."""
    opts = obj._meta
    return {name: getattr(obj, opts.get_field(name).attname) for name in fields}


def edit_token(snapshot: dict[str, Any]) -> str:
    """A signed, self-contained token of a snapshot: it says what the editor saw, column by column."""
    return signing.dumps({name: _canonical(value) for name, value in snapshot.items()}, salt=_SALT, compress=True)


def token_snapshot(token: str | None) -> dict[str, str] | None:
    """The canonical values a token carries, or None for a missing or tampered token."""
    if not token:
        return None
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    return payload if isinstance(payload, dict) else None


def changes_since(token: str | None, current: dict[str, Any]) -> list[FieldChange] | None:
    """The columns of `current` that differ from what the token saw; None if the token is unusable."""
    seen = token_snapshot(token)
    if seen is None:
        return None
    changes = []
    for name, value in current.items():
        now = _canonical(value)
        if seen.get(name) != now:
            old = json.loads(seen[name]) if name in seen else None
            changes.append(FieldChange(name, old, value))
    return changes


def lock_timeout_ms() -> int:
    return int(getattr(settings, "NPCADMIN_CONSOLE_LOCK_TIMEOUT", 3.0) * 1000)


@contextlib.contextmanager
def console_lock_timeout(using: str = "default") -> Iterator[None]:
    """Run the block in a savepoint with `SET LOCAL lock_timeout`; a lock wait beyond it is RowLocked.

    The setting lasts to the end of the caller's transaction, so the UPDATE that follows the
    lock check is bounded too. Must run inside a transaction (the console's writes always do).
    """
    if not connections[using].in_atomic_block:
        raise RuntimeError("console_lock_timeout needs a transaction (wrap the write in transaction.atomic)")
    try:
        with transaction.atomic(using=using):
            with connections[using].cursor() as cursor:
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{lock_timeout_ms()}ms"])
            yield
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise RowLocked() from exc
        raise


def lock_for_edit(queryset, pk, *, using: str = "default"):
    """The row `pk` of `queryset`, locked FOR UPDATE within the console lock timeout."""
    with console_lock_timeout(using):
        return queryset.select_for_update().get(pk=pk)


def check_token(current, *, fields: Iterable[str], token: str | None) -> None:
    """Raise EditConflict if `current`'s `fields` differ from what `token` saw (a None token skips)."""
    if token is None:
        return
    changes = changes_since(token, row_snapshot(current, fields))
    if changes is None:
        changes = [FieldChange("edit token", "missing", "this form was not loaded from the current row")]
    if changes:
        raise EditConflict(current, changes)


def save_changed_columns(obj, columns: Iterable[str], *, using: str = "default") -> list[str]:
    """Write only `columns` of `obj` (plus the console-kept `updated_at`); nothing when none changed."""
    columns = list(columns)
    if not columns:
        return []
    names = {f.name for f in obj._meta.concrete_fields}
    update = [*columns, "updated_at"] if "updated_at" in names and "updated_at" not in columns else columns
    with console_lock_timeout(using):
        obj.save(using=using, update_fields=update)
    if "updated_at" in update:
        obj.refresh_from_db(using=using, fields=["updated_at"])
    return columns


def conflict_html(conflict: EditConflict, *, what: str, who: str = "") -> str:
    """The refusal a game master reads: each column that changed, old → new, and that their input is kept."""
    rows = format_html_join("", "<li><b>{}</b>: {} → {}</li>",
                            ((c.field.replace("_", " "), show(c.old), show(c.new)) for c in conflict.changes))
    return format_html(
        "Someone else (a game master or the engine) changed this {}{} while you were editing it. "
        "Your changes were NOT saved. What changed since you opened the form (old → new):"
        "<ul class=\"conflict-values\">{}</ul>"
        "Your input is still in the form below: check it against the new values, then save again "
        "to apply it.", what, who, rows,
    )


# --- Console forms on rows the engine also writes --------------------------------------------


class SharedRowForm(forms.ModelForm):
    """A ModelForm on a row the engine also writes: a token over `edit_fields`, changed columns only.

    Subclasses name `edit_fields` (the columns the console may write; engine-owned ones stay out
    of the form and out of the token) and, where one column is built from several form fields,
    `column_sources`. `clean()` locks the row and refuses with a per-column explanation when it
    changed since the form was rendered; `changed_columns()` is what the save may write.
    """

    edit_token = forms.CharField(widget=forms.HiddenInput, required=False)
    edit_fields: tuple[str, ...] = ()
    column_sources: dict[str, tuple[str, ...]] = {}
    conflict_what = "row"
    db_alias = "default"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict: EditConflict | None = None
        if self.instance.pk:
            self.initial["edit_token"] = edit_token(row_snapshot(self.instance, self.edit_fields))

    @classmethod
    def token_for(cls, obj) -> str:
        """The edit token this form renders for `obj` (what a browser would post back)."""
        return edit_token(row_snapshot(obj, cls.edit_fields))

    def changed_columns(self) -> list[str]:
        changed = set(self.changed_data)
        return [column for column in self.edit_fields
                if any(source in changed for source in self.column_sources.get(column, (column,)))]

    def conflict_who(self, current) -> str:
        return ""

    def check_concurrent_edit(self) -> None:
        """Lock the row (within the lock timeout) and refuse the save if it changed since rendering.

        The admin runs the whole POST in one transaction, so the lock is held until the save
        commits: a second editor's check waits for it and then sees the new values.
        """
        if not self.instance.pk:
            return
        model = type(self.instance)
        try:
            current = lock_for_edit(model._base_manager.using(self.db_alias), self.instance.pk, using=self.db_alias)
            check_token(current, fields=self.edit_fields, token=self.cleaned_data.get("edit_token") or "")
        except RowLocked as exc:
            self.add_error(None, ValidationError(str(exc), code="row_locked"))
        except EditConflict as conflict:
            self.conflict = conflict
            # The next save is measured against what is stored now: the person decides, then saves.
            self.data = self.data.copy()
            self.data[self.add_prefix("edit_token")] = edit_token(row_snapshot(current, self.edit_fields))
            self.add_error(None, ValidationError(
                conflict_html(conflict, what=self.conflict_what, who=self.conflict_who(current)),
                code="concurrent_edit"))
