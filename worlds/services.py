"""Writes to the world databases: keyword-only, atomic on the world's database, validated."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from npcadmin import audit
from npcadmin.edits import (
    EditConflict,
    check_token,
    edit_token,
    lock_for_edit,
    row_snapshot,
    same_json,
    save_changed_columns,
)
from npcadmin.routers import world_db
from npcs.models import NPC
from worlds.models import NPCBuildQueueHistory, NPCVillageConfig

# What a game master may change; npc_id and the timestamps belong to the engine.
EDITABLE_CONFIG_FIELDS = (
    "village_type", "build_template_name", "current_build_phase", "resource_priority", "warehouse_reserve",
    "auto_build_enabled", "troop_training_enabled", "auto_raid_enabled",
    "build_queue_strategy", "training_queue_strategy",
)


class StaleVillageConfig(EditConflict):
    """The configuration changed since the editor loaded it; `current` is what is stored now,
    `changes` each column that changed (old -> new)."""


def version_token(config: NPCVillageConfig) -> str:
    """The console's edit token (npcadmin.edits) over the editable columns: `updated_at` is not
    enough, the engine changes the build phase without touching it."""
    return edit_token(row_snapshot(config, EDITABLE_CONFIG_FIELDS))


def village_config_update(*, world_id: str, village_id: int, changes: dict[str, Any],
                          seen_version: str | None = None, by_user=None) -> NPCVillageConfig:
    """Change a village's NPC configuration; refuses a save based on an outdated version.

    Raises ValidationError (invalid values), StaleVillageConfig (someone saved in between),
    RowLocked (the engine held the row beyond the lock timeout), NPCVillageConfig.DoesNotExist.
    The row is locked while it is checked; only the columns that differ are written.
    """
    unknown = set(changes) - set(EDITABLE_CONFIG_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    alias = world_db(world_id)
    with transaction.atomic(using=alias):
        config = lock_for_edit(NPCVillageConfig.objects.in_world(world_id), village_id, using=alias)
        try:
            check_token(config, fields=EDITABLE_CONFIG_FIELDS, token=seen_version)
        except EditConflict as conflict:
            raise StaleVillageConfig(conflict.current, conflict.changes) from None
        changed = {f: v for f, v in changes.items() if not same_json(getattr(config, f), v)}
        before = {name: getattr(config, name) for name in changed}
        for name, value in changed.items():
            setattr(config, name, value)
        config.full_clean()
        save_changed_columns(config, changed, using=alias)
    if changed:
        audit.record(by_user=by_user, actor="unknown", via="worlds" if by_user else "command",
                     action="village_config.update", obj=config, object_id=f"{world_id}:{village_id}",
                     changes=audit.diff(before, changed), detail={"world_id": world_id})
    return config


def world_orphans_delete(*, world_id: str, npc_ids: list[int], by_user=None,
                         actor: str = "command:world_orphans") -> tuple[int, int]:
    """Delete a world's configs and build history of NPCs that no longer exist globally.

    NPCs that exist again (or always did) are left alone whatever the caller passed.
    Returns (configs deleted, builds deleted).
    """
    existing = set(NPC.objects.filter(pk__in=npc_ids).values_list("pk", flat=True))
    gone = sorted(set(npc_ids) - existing)
    if not gone:
        return 0, 0
    with transaction.atomic(using=world_db(world_id)):
        configs, _ = NPCVillageConfig.objects.in_world(world_id).filter(npc_id__in=gone).delete()
        builds, _ = NPCBuildQueueHistory.objects.in_world(world_id).filter(npc_id__in=gone).delete()
    audit.record(by_user=by_user, actor=actor, via="command" if by_user is None else "worlds",
                 action="world.orphans_delete", object_type="worlds.world", object_id=world_id, object_repr=world_id,
                 detail={"npc_ids": gone, "configs_deleted": configs, "builds_deleted": builds})
    return configs, builds
