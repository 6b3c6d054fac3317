"""The console's roles as Django groups: what a game master, an analyst and ops may do.

Permissions are derived from the installed models, so models added later by any app join
the right role when `manage.py create_roles` runs again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction

CONSOLE_APPS = ("npcs", "worlds", "analytics")

# What a game master edits (besides viewing everything): NPCs and their relations, alliances,
# the few log fields with a reason (memory importance, message outcome) and village configs.
GAME_MASTER_CHANGES = {
    "npcs": {"npc": ("add", "change", "delete"), "npcrelationship": ("add", "change", "delete"),
             "npcalliance": ("add", "change"), "npcworldstate": ("change",), "npcmemory": ("change",),
             "npcmessage": ("change",)},
}


def _game_master_extra(permission: Permission) -> bool:
    """Village configuration models of the worlds app, whatever their final names."""
    return permission.content_type.app_label == "worlds" and "village" in permission.content_type.model \
        and permission.codename.split("_", 1)[0] in ("add", "change")


def role_permissions() -> dict[str, set[Permission]]:
    console = list(Permission.objects.filter(content_type__app_label__in=CONSOLE_APPS).select_related("content_type"))
    view = {p for p in console if p.codename.startswith("view_")}
    game_master = set(view)
    for permission in console:
        actions = GAME_MASTER_CHANGES.get(permission.content_type.app_label, {}).get(permission.content_type.model, ())
        if permission.codename.split("_", 1)[0] in actions or _game_master_extra(permission):
            game_master.add(permission)
    return {
        "game_master": game_master,
        "analyst": view,
        "ops": set(Permission.objects.select_related("content_type")),
    }


@dataclass
class RoleChange:
    group: str
    created: bool
    added: int
    removed: int


@transaction.atomic
def roles_sync(*, dry_run: bool = False) -> list[RoleChange]:
    """Create the groups and set their permissions exactly (idempotent); with dry_run, change nothing."""
    changes = []
    for name, wanted in role_permissions().items():
        group = Group.objects.filter(name=name).first()
        current = set(group.permissions.all()) if group else set()
        changes.append(RoleChange(name, group is None, len(wanted - current), len(current - wanted)))
        if dry_run:
            continue
        group = group or Group.objects.create(name=name)
        group.permissions.set(wanted)
    return changes
