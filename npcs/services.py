"""Writes to the global NPC database: the one place the console, commands and tests change NPCs.

Every service is keyword-only, atomic, validates with `full_clean()` and records who did what,
fields before → after, in the audit trail (`npcadmin.audit.record`). Rows the engine also writes
are locked within the console lock timeout and written column by column (npcadmin.edits); every
change to an NPC is announced to the engine (npcs.changes).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.db.models.functions import Now

from npcadmin import audit
from npcadmin.edits import (
    EditConflict,
    check_token,
    console_lock_timeout,
    lock_for_edit,
    same_json,
    save_changed_columns,
)
from npcs.changes import announce_npc_change
from npcs.changes import park_runtime_after_commit as _park_runtime_after_commit
from npcs.choices import RelationshipType
from npcs.models import (
    NPC,
    NPCAlliance,
    NPCBattle,
    NPCDecision,
    NPCMemory,
    NPCMessage,
    NPCRelationship,
    NPCTemplateHistory,
    NPCTrade,
    NPCWorldState,
)
from npcs.presets import preset_template
from npcs.selectors import NPC_EDIT_FIELDS, npc_edit_snapshot

# Fields `npc_update` may change; counters and timestamps belong to the engine.
NPC_EDITABLE_FIELDS = (
    "name", "tribe", "personality", "behavior_template", "llm_temperature", "decision_cache_ttl",
    "strategic_update_frequency", "active", "paused", "notes",
)


class ConcurrentEditError(EditConflict):
    """The NPC changed after the editor loaded it; their save would overwrite someone else's."""


class NPCDeleteRefused(Exception):
    """The database would refuse to delete this NPC (it leads an alliance or sent messages)."""

    def __init__(self, preview: NPCDeletePreview):
        self.preview = preview
        super().__init__("; ".join(preview.blockers))


def _audit(*, by_user, action: str, obj, changes: dict | None = None, detail: dict | None = None) -> None:
    """One entry in the audit trail: the console when a user acted, else the running command."""
    audit.record(by_user=by_user, actor="unknown", via="console", action=action, obj=obj,
                 changes=changes, detail=detail)


def _record_template(*, npc: NPC, previous: dict | None, by_user, reason: str) -> NPCTemplateHistory:
    return NPCTemplateHistory.objects.create(
        npc=npc, version=npc.version, behavior_template=copy.deepcopy(npc.behavior_template),
        previous_template=copy.deepcopy(previous), changed_by=by_user if getattr(by_user, "pk", None) else None,
        reason=reason[:200],
    )


# --- Editing ----------------------------------------------------------------------------------

@transaction.atomic
def npc_create(*, data: dict, by_user=None, reason: str = "created") -> NPC:
    """Create an NPC from editable fields and record its first template version."""
    npc = NPC(**{key: value for key, value in data.items() if key in NPC_EDITABLE_FIELDS})
    npc.full_clean()
    npc.save()
    npc.refresh_from_db()
    _record_template(npc=npc, previous=None, by_user=by_user, reason=reason)
    _audit(by_user=by_user, action="npc.create", obj=npc, detail={"reason": reason},
           changes={k: [None, v] for k, v in audit.snapshot(npc, NPC_EDITABLE_FIELDS).items()})
    announce_npc_change(npc_id=npc.pk, changed=sorted(data.keys()), version=npc.version, action="created")
    return npc


@transaction.atomic
def npc_update(*, npc: NPC, data: dict, expected_token: str | None, by_user=None, reason: str = "edited") -> NPC:
    """Apply a game master's edit; refuse it if the NPC changed since `expected_token` was taken.

    The row is locked (`SELECT ... FOR UPDATE`) while its current values are compared with the
    token, so of two concurrent saves exactly one wins. A changed behaviour template bumps
    `version` and is kept in `npc_template_history`.
    """
    current = lock_for_edit(NPC.objects.all(), npc.pk)
    try:
        check_token(current, fields=NPC_EDIT_FIELDS, token=expected_token)
    except EditConflict as conflict:
        raise ConcurrentEditError(conflict.current, conflict.changes) from None
    previous_template = copy.deepcopy(current.behavior_template)
    before = audit.snapshot(current, [*NPC_EDITABLE_FIELDS, "version"])
    for key, value in data.items():
        if key not in NPC_EDITABLE_FIELDS:
            raise ValueError(f"{key} is not editable in the console")
        setattr(current, key, value)
    template_changed = "behavior_template" in data and not same_json(current.behavior_template, previous_template)
    if template_changed:
        current.version += 1
    # Only what this edit changes is validated: a value the engine wrote elsewhere is not the editor's to fix.
    current.full_clean(exclude=[f.name for f in NPC._meta.concrete_fields if f.name not in data])
    columns = [*data.keys(), "version"] if template_changed else list(data.keys())
    if columns:
        current.save(update_fields=columns)
        announce_npc_change(npc_id=current.pk, changed=sorted(data.keys()), version=current.version)
    if template_changed:
        _record_template(npc=current, previous=previous_template, by_user=by_user, reason=reason)
    changes = audit.diff(before, audit.snapshot(current, [*NPC_EDITABLE_FIELDS, "version"]))
    if changes:
        _audit(by_user=by_user, action="npc.update", obj=current, changes=changes, detail={"reason": reason})
    if data.get("paused") is True or data.get("active") is False:
        _park_runtime_after_commit([current.pk])
    return current


def npc_update_template(*, npc: NPC, template: dict, expected_token: str | None, by_user=None,
                        reason: str = "template edited") -> NPC:
    """Replace the behaviour template (a new version) unless someone changed the NPC meanwhile."""
    return npc_update(npc=npc, data={"behavior_template": template}, expected_token=expected_token,
                      by_user=by_user, reason=reason)


@transaction.atomic
def npc_restore_template(*, npc: NPC, history: NPCTemplateHistory, by_user=None, before: bool = False) -> NPC:
    """Make an old template current again, as a new version so nothing is lost.

    `before=True` restores the template as it was *before* `history`'s change: the only copy of a
    first template the engine wrote without going through the console.
    """
    if history.npc_id != npc.pk:
        raise ValidationError("This template version belongs to another NPC.")
    template = history.previous_template if before else history.behavior_template
    if not isinstance(template, dict):
        raise ValidationError("There is no template to restore from this entry.")
    label = f"the template before version {history.version}" if before else f"version {history.version}"
    updated = npc_update(npc=npc, data={"behavior_template": copy.deepcopy(template)},
                         expected_token=None, by_user=by_user, reason=f"restored {label}")
    return updated


def _set_flag(*, npc_ids: Iterable[int], field_name: str, value: bool, by_user, verb: str) -> int:
    """Set a boolean on the NPCs where it differs; return how many changed (a conditional UPDATE)."""
    with transaction.atomic(), console_lock_timeout():
        changing = list(NPC.objects.select_for_update().filter(pk__in=list(npc_ids))
                        .exclude(**{field_name: value}).order_by("id").only("id", "name", "version", field_name))
        NPC.objects.filter(pk__in=[n.pk for n in changing]).update(**{field_name: value})
        for npc in changing:
            _audit(by_user=by_user, action=f"npc.{verb.removesuffix('d')}", obj=npc,
                   changes={field_name: [getattr(npc, field_name), value]})
            announce_npc_change(npc_id=npc.pk, changed=[field_name], version=npc.version, action=verb)
        if (field_name, value) in (("paused", True), ("active", False)):  # the engine must stop playing it
            _park_runtime_after_commit([n.pk for n in changing])
    return len(changing)


def npcs_pause(*, npc_ids: Iterable[int], by_user=None) -> int:
    """Pause NPCs (the engine stops scheduling their decisions); returns how many changed."""
    return _set_flag(npc_ids=npc_ids, field_name="paused", value=True, by_user=by_user, verb="paused")


def npcs_resume(*, npc_ids: Iterable[int], by_user=None) -> int:
    return _set_flag(npc_ids=npc_ids, field_name="paused", value=False, by_user=by_user, verb="resumed")


def npcs_activate(*, npc_ids: Iterable[int], by_user=None) -> int:
    return _set_flag(npc_ids=npc_ids, field_name="active", value=True, by_user=by_user, verb="activated")


def npcs_deactivate(*, npc_ids: Iterable[int], by_user=None) -> int:
    """Deactivate NPCs: what a game master wants instead of deleting one the database protects."""
    return _set_flag(npc_ids=npc_ids, field_name="active", value=False, by_user=by_user, verb="deactivated")


def npc_pause(*, npc: NPC, by_user=None) -> bool:
    return bool(npcs_pause(npc_ids=[npc.pk], by_user=by_user))


def npc_deactivate(*, npc: NPC, by_user=None) -> bool:
    return bool(npcs_deactivate(npc_ids=[npc.pk], by_user=by_user))


# --- Creating ---------------------------------------------------------------------------------

@transaction.atomic
def npc_clone(*, source: NPC, name: str, by_user=None) -> NPC:
    """A new NPC with `source`'s tribe, personality, template and LLM settings (no history or logs)."""
    data = {key: value for key, value in npc_edit_snapshot(source).items() if key in NPC_EDITABLE_FIELDS}
    data.update(name=name, paused=False, behavior_template=copy.deepcopy(source.behavior_template))
    return npc_create(data=data, by_user=by_user, reason=f"cloned from {source.name} v{source.version}")


@transaction.atomic
def npc_create_from_preset(*, name: str, tribe: str, personality: str, by_user=None, **overrides) -> NPC:
    """A new NPC whose behaviour template is the preset of its personality."""
    data = {"name": name, "tribe": tribe, "personality": personality,
            "behavior_template": preset_template(personality), **overrides}
    return npc_create(data=data, by_user=by_user, reason=f"{personality} preset")


# --- Deleting ---------------------------------------------------------------------------------

@dataclass
class NPCDeletePreview:
    """What deleting an NPC would remove (the database's ON DELETE CASCADE) and what blocks it."""

    npc: NPC
    cascades: list[tuple[str, str, int]] = field(default_factory=list)  # (label, model_name, count)
    led_alliances: list[NPCAlliance] = field(default_factory=list)
    messages_sent: int = 0

    @property
    def blockers(self) -> list[str]:
        reasons = []
        if self.led_alliances:
            names = ", ".join(str(a) for a in self.led_alliances)
            reasons.append(f"it leads {len(self.led_alliances)} alliance(s) ({names}): hand over leadership first")
        if self.messages_sent:
            reasons.append(f"it sent {self.messages_sent} message(s), which the database keeps with their sender")
        return reasons

    @property
    def can_delete(self) -> bool:
        return not self.blockers

    @property
    def total(self) -> int:
        return sum(count for _, _, count in self.cascades)


# Rows PostgreSQL deletes with the NPC (ON DELETE CASCADE, invisible to Django's collector).
_CASCADES = (
    ("world states", NPCWorldState, "npc_id"),
    ("relationships", NPCRelationship, "npc_id"),
    ("memories", NPCMemory, "npc_id"),
    ("decisions", NPCDecision, "npc_id"),
    ("battles", NPCBattle, "npc_id"),
    ("trades", NPCTrade, "npc_id"),
    ("template versions", NPCTemplateHistory, "npc_id"),
)


def npc_delete_preview(*, npc: NPC) -> NPCDeletePreview:
    """Count what cascades and find what the database refuses, before anyone confirms a delete."""
    preview = NPCDeletePreview(npc=npc)
    for label, model, column in _CASCADES:
        count = model.objects.filter(**{column: npc.pk}).count()
        preview.cascades.append((label, model._meta.model_name, count))
    preview.led_alliances = list(NPCAlliance.objects.filter(npc_leader_id=npc.pk).order_by("world_id", "name", "id"))
    preview.messages_sent = NPCMessage.objects.filter(from_npc_id=npc.pk).count()
    return preview


@transaction.atomic
def npc_delete(*, npc: NPC, by_user=None) -> NPCDeletePreview:
    """Delete an NPC and (through the database) its logs; refuse cleanly when the database would."""
    preview = npc_delete_preview(npc=npc)
    if not preview.can_delete:
        raise NPCDeleteRefused(preview)
    repr_, pk, version, before = str(npc), npc.pk, npc.version, audit.snapshot(npc, NPC_EDITABLE_FIELDS)
    try:
        with console_lock_timeout():
            npc.delete()
    except (ProtectedError, IntegrityError) as exc:
        # A message or alliance appeared between the preview and the delete.
        raise NPCDeleteRefused(npc_delete_preview(npc=NPC(pk=pk, name=repr_))) from exc
    audit.record(by_user=by_user, actor="unknown", via="console", action="npc.delete", object_type="npcs.npc",
                 object_id=pk, object_repr=repr_, changes={k: [v, None] for k, v in before.items()},
                 detail={"dependent_rows": preview.total})
    announce_npc_change(npc_id=pk, changed=["deleted"], version=version, action="deleted")
    _park_runtime_after_commit([pk])
    return preview


@transaction.atomic
def alliance_hand_over_leadership(*, alliance: NPCAlliance, new_leader: NPC | None, by_user=None) -> NPCAlliance:
    """Give an alliance a new NPC leader (or none), e.g. so its old leader can be deleted."""
    alliance = lock_for_edit(NPCAlliance.objects.all(), alliance.pk)
    old = alliance.npc_leader_id
    alliance.npc_leader = new_leader
    alliance.full_clean()
    save_changed_columns(alliance, ["npc_leader"])
    _audit(by_user=by_user, action="alliance.hand_over_leadership", obj=alliance,
           changes={"npc_leader_id": [old, alliance.npc_leader_id]})
    return alliance


# --- Relationships ----------------------------------------------------------------------------

def relationships_set_type(*, relationship_ids: Iterable[int], relationship_type: str, by_user=None) -> int:
    """Set the type of many relationships at once; returns how many changed."""
    if relationship_type not in RelationshipType.values:
        raise ValidationError(f"Relationship type must be one of: {', '.join(RelationshipType.values)}.")
    with transaction.atomic(), console_lock_timeout():
        changing = list(NPCRelationship.objects.select_for_update().filter(pk__in=list(relationship_ids))
                        .exclude(relationship_type=relationship_type).order_by("id"))
        NPCRelationship.objects.filter(pk__in=[r.pk for r in changing]).update(
            relationship_type=relationship_type, updated_at=Now())
        for relationship in changing:
            _audit(by_user=by_user, action="relationship.set_type", obj=relationship,
                   changes={"relationship_type": [relationship.relationship_type, relationship_type]})
    return len(changing)
