"""Who may do what: one permission per capability, one decorator for views, one check for
consumers, and the role table that `manage.py create_roles` turns into groups.

Capabilities are custom permissions of the non-managed `npcadmin.Capability` model (no table):
`npcadmin.view_runtime`, `npcadmin.operate_runtime`, ... The console's pages over the global
database are Django's admin and keep Django's model permissions (`npcs.change_npc`, ...): the
role table lists those too, so a role is read in one place. Infrastructure: this module names
app labels in strings and imports no app.

Staff in no group get nothing but their own password change; superusers get everything.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction

from npcadmin import audit

APP_LABEL = "npcadmin"

# codename -> what it lets a user do (the Capability model's Meta.permissions).
CAPABILITIES: dict[str, str] = {
    "view_runtime": "See the engine's runtime: queues, NPC states, rate limits, the LLM cache",
    "operate_runtime": "Purge, requeue and drop decisions; reset rate limits; flush the LLM cache",
    "view_worlds": "See the world databases' villages, configurations and build history",
    "edit_worlds": "Change a village's configuration",
    "view_analytics": "See the analyst dashboards",
    "view_mind": "See an NPC's memories, recall and decision traces",
    "edit_mind": "Adjust a memory's importance and expiry",
    "view_audit": "See the audit trail",
}

# The apps whose models everyone with a role may view (Django's `view_*` permissions).
CONSOLE_APPS = ("npcs", "worlds", "analytics")


def perm(capability: str) -> str:
    """`view_runtime` -> `npcadmin.view_runtime` (a full permission name passes through)."""
    if "." in capability:
        return capability
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}; declare it in npcadmin.access.CAPABILITIES")
    return f"{APP_LABEL}.{capability}"


def allowed(user, capability: str) -> bool:
    """Active staff holding the capability (superusers hold every one)."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff
                and user.has_perm(perm(capability)))


@dataclass(frozen=True)
class Rule:
    """What a view needs: `read` for GET/HEAD, `write` for any other method."""

    read: str
    write: str


def requires(capability: str, *, write: str | None = None):
    """Decorator for every view (consumers call `allowed`): anonymous or non-staff users go to the login page, staff
    without the capability get 403. `write` (default: the same) is what POSTs need, so a
    page can be readable by the analyst and its form refused to them."""
    rule = Rule(perm(capability), perm(write or capability))

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not (user.is_authenticated and user.is_active and user.is_staff):
                return redirect_to_login(request.get_full_path())
            needed = rule.read if request.method in ("GET", "HEAD", "OPTIONS") else rule.write
            if not user.has_perm(needed):
                raise PermissionDenied(f"This needs the permission {needed} (docs/console.md, Roles).")
            return view(request, *args, **kwargs)

        wrapper.access = rule
        return wrapper

    return decorator


# --- WebSocket consumers -----------------------------------------------------------------------

CLOSE_FORBIDDEN = 4403  # the socket's user lacks the consumer's capability
CLOSE_TOO_MANY_MESSAGES = 4429  # more than the consumer's message budget


class MessageBudget:
    """A token bucket: `rate` messages a second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: float, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.at = burst, clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class GuardedConsumerMixin:
    """For a Channels consumer: the handshake needs `capability` (closed with 4403 before it is
    accepted), and incoming messages beyond `max_messages_per_second` (bursts of twice that)
    close the socket with 4429 instead of costing everyone's CPU."""

    capability: str = ""
    max_messages_per_second: float = 20

    async def websocket_connect(self, message):
        from channels.db import database_sync_to_async

        if not await database_sync_to_async(allowed)(self.scope.get("user"), self.capability):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self._budget = MessageBudget(self.max_messages_per_second, self.max_messages_per_second * 2)
        self._over_budget = False
        await super().websocket_connect(message)

    async def websocket_receive(self, message):
        if self._over_budget:
            return
        if not self._budget.take():
            self._over_budget = True
            await self.close(code=CLOSE_TOO_MANY_MESSAGES)
            return
        await super().websocket_receive(message)


# --- roles --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    """A group: its capabilities, the model permissions beyond viewing, and whether it views the console."""

    description: str
    capabilities: tuple[str, ...] = ()
    model_permissions: tuple[str, ...] = ()
    views_console: bool = True


_READ = ("view_runtime", "view_worlds", "view_analytics", "view_mind", "view_audit")

ROLES: dict[str, Role] = {
    "game_master": Role(
        "runs the NPCs: edits them, their relations, village configs and memories",
        capabilities=(*_READ, "edit_worlds", "edit_mind"),
        model_permissions=(
            "npcs.add_npc", "npcs.change_npc", "npcs.delete_npc",
            "npcs.add_npcrelationship", "npcs.change_npcrelationship", "npcs.delete_npcrelationship",
            "npcs.add_npcalliance", "npcs.change_npcalliance", "npcs.change_npcworldstate",
            "npcs.change_npcmemory", "npcs.change_npcmessage",
        ),
    ),
    "analyst": Role("reads everything, changes nothing; runtime actions hidden and refused", capabilities=_READ),
    "ops": Role("operates the runtime (queues, rate limits, LLM cache); never users or groups",
                capabilities=(*_READ, "operate_runtime")),
    "user_admin": Role(
        "manages users and groups; cannot make anyone superuser",
        capabilities=("view_audit",),
        model_permissions=("auth.view_user", "auth.add_user", "auth.change_user", "auth.delete_user",
                           "auth.view_group", "auth.add_group", "auth.change_group", "auth.delete_group"),
        views_console=False,
    ),
}


def role_permission_names(name: str) -> set[str]:
    """`app_label.codename` of every permission the role's group holds."""
    from django.contrib.auth.models import Permission

    role = ROLES[name]
    names = {perm(c) for c in role.capabilities} | set(role.model_permissions)
    if role.views_console:
        names |= {f"{app}.{code}" for app, code in Permission.objects.filter(
            content_type__app_label__in=CONSOLE_APPS, codename__startswith="view_").values_list(
            "content_type__app_label", "codename")}
    return names


def _permissions(names: set[str]) -> set:
    from django.contrib.auth.models import Permission

    found = {}
    for permission in Permission.objects.select_related("content_type"):
        found[f"{permission.content_type.app_label}.{permission.codename}"] = permission
    missing = names - set(found)
    if missing:
        raise LookupError(f"permissions not installed (run migrate): {sorted(missing)}")
    return {found[name] for name in names}


@dataclass
class RoleChange:
    group: str
    created: bool
    added: int
    removed: int


@transaction.atomic
def roles_sync(*, dry_run: bool = False) -> list[RoleChange]:
    """Create the groups of `ROLES` and set their permissions exactly (idempotent); dry_run changes nothing."""
    from django.contrib.auth.models import Group

    changes = []
    for name in ROLES:
        wanted = _permissions(role_permission_names(name))
        group = Group.objects.filter(name=name).first()
        current = set(group.permissions.all()) if group else set()
        changes.append(RoleChange(name, group is None, len(wanted - current), len(current - wanted)))
        if dry_run:
            continue
        group = group or Group.objects.create(name=name)
        group.permissions.set(wanted)
        if wanted != current:
            audit.record(actor="unknown", via="console", action="group.set_permissions", obj=group,
                         changes={"permissions": [sorted(_names(current)), sorted(_names(wanted))]})
    return changes


def _names(permissions) -> list[str]:
    return [f"{p.content_type.app_label}.{p.codename}" for p in permissions]
