"""The role matrix: every URL pattern of the resolver (the admin's included) and every WebSocket
route, for every role, with GET and with a POST carrying a valid CSRF token, against the rules
declared here. A new view without a declared rule fails `test_every_route_has_a_declared_rule`.

A rule is `PUBLIC`, `STAFF` (any active staff user), `NOBODY` (not even a superuser: the admin
offers no such page for the model), or a permission (`npcadmin.operate_runtime`,
`npcs.change_npc`); roles hold permissions through the groups `roles_sync` builds from
`npcadmin.access.ROLES`, the table docs/console.md shows.
"""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.crypto import get_random_string

from npcadmin import audit
from npcadmin.access import ROLES
from npcs import services
from npcs.models import NPCTemplateHistory
from tests.factories.access import user_in_role
from tests.factories.console import npc_with_history
from tests.factories.npcs import NPCAllianceFactory, NPCMessageFactory, SchemaVersionFactory
from tests.factories.worlds import NPCVillageConfigFactory

PUBLIC, STAFF, NOBODY = "public", "staff", "nobody"
ROLE_NAMES = ("anonymous", "staff_no_group", *ROLES, "superuser")

# (GET rule, POST rule) per route; routes are keyed by "namespace:name", or by their pattern when
# they have no name. The admin's per-model pages follow from Django's model permissions and are
# derived below (`_model_admin_rules`); everything else is declared here, by hand.
RULES: dict[str, tuple[str, str]] = {
    "home": (STAFF, STAFF),  # the areas' dashboard: each card only for those who may open its area
    "favicon": (PUBLIC, PUBLIC),
    "healthz": (PUBLIC, PUBLIC),
    "admin:login": (PUBLIC, PUBLIC),
    "admin:logout": (PUBLIC, PUBLIC),
    "admin:index": (STAFF, STAFF),
    "admin:password_change": (STAFF, STAFF),
    "admin:password_change_done": (STAFF, STAFF),
    "admin:jsi18n": (STAFF, STAFF),
    "admin:view_on_site": (STAFF, STAFF),
    "admin:autocomplete": ("npcs.view_npc", STAFF),  # the alliance's leader field; POST is a 405
    "admin:app_list": (STAFF, STAFF),  # 404 for an app with nothing the user may see
    "admin/(?P<url>.*)$": (STAFF, STAFF),  # the admin's catch-all 404
    "admin:auth_user_password_change": ("auth.change_user", "auth.change_user"),
    "admin:npcs_npc_overview": ("npcs.view_npc", "npcs.view_npc"),
    "admin:npcs_npc_template_history": ("npcs.view_npc", "npcs.view_npc"),
    "admin:npcs_npc_template_restore": ("npcs.change_npc", "npcs.change_npc"),
    "admin:npcs_npc_clone": ("npcs.add_npc", "npcs.add_npc"),
    "admin:npcs_npc_add_from_preset": ("npcs.add_npc", "npcs.add_npc"),
    "admin:npcs_npc_deactivate": ("npcs.change_npc", "npcs.change_npc"),
    # The mind (docs/npc-mind.md)
    "mind:memory_recall": ("npcadmin.view_mind", "npcadmin.view_mind"),
    "mind:memory_adjust": ("npcadmin.view_mind", "npcadmin.edit_mind"),
    "mind:decision_timeline": ("npcadmin.view_mind", "npcadmin.view_mind"),
    "mind:decision_trace": ("npcadmin.view_mind", "npcadmin.view_mind"),
    "mind:decisions_overview": ("npcadmin.view_mind", "npcadmin.view_mind"),
    # Worlds
    "worlds:index": ("npcadmin.view_worlds", "npcadmin.view_worlds"),
    "worlds:npc_villages": ("npcadmin.view_worlds", "npcadmin.view_worlds"),
    "worlds:village_list": ("npcadmin.view_worlds", "npcadmin.view_worlds"),
    "worlds:village_config": ("npcadmin.view_worlds", "npcadmin.edit_worlds"),
    "worlds:build_history": ("npcadmin.view_worlds", "npcadmin.view_worlds"),
    # Analytics
    "analytics:index": ("npcadmin.view_analytics", "npcadmin.view_analytics"),
    "analytics:plotly_js": (PUBLIC, PUBLIC),  # a static library, versioned URL
    "analytics:dashboard": ("npcadmin.view_analytics", "npcadmin.view_analytics"),
    # The engine's runtime
    "runtime:overview": ("npcadmin.view_runtime", "npcadmin.view_runtime"),
    "runtime:queue": ("npcadmin.view_runtime", "npcadmin.view_runtime"),
    "runtime:npcs": ("npcadmin.view_runtime", "npcadmin.view_runtime"),
    "runtime:queue_purge": ("npcadmin.operate_runtime", "npcadmin.operate_runtime"),
    "runtime:queue_requeue": ("npcadmin.operate_runtime", "npcadmin.operate_runtime"),
    "runtime:queue_drop": ("npcadmin.operate_runtime", "npcadmin.operate_runtime"),
    "runtime:ratelimit_reset": ("npcadmin.operate_runtime", "npcadmin.operate_runtime"),
    "runtime:llm_cache_flush": ("npcadmin.operate_runtime", "npcadmin.operate_runtime"),
    "runtime:keys": ("npcadmin.operate_runtime", "npcadmin.operate_runtime"),
    "runtime:key": ("npcadmin.operate_runtime", "npcadmin.operate_runtime"),
    "runtime:key_delete": ("npcadmin.operate_runtime", "npcadmin.operate_runtime"),
}
WEBSOCKET_RULES = {"ws/runtime/": "npcadmin.view_runtime"}


def _model_admin_rules() -> dict[str, tuple[str, str]]:
    """Django's admin pages of each registered model, from its model permissions.

    Engine logs (`editable_fields`) offer no add or delete page and change only what they list;
    the audit trail is read with `npcadmin.view_audit` and written by nobody.
    """
    rules = {}
    for model, model_admin in admin.site._registry.items():
        app, name = model._meta.app_label, model._meta.model_name
        view, add, change, delete = (f"{app}.{action}_{name}" for action in ("view", "add", "change", "delete"))
        if model._meta.label_lower == "npcadmin.auditentry":
            view = "npcadmin.view_audit"
            add = change = delete = NOBODY
        elif hasattr(model_admin, "editable_fields"):
            add = delete = NOBODY
            change = change if model_admin.editable_fields else NOBODY
        base = f"admin/{app}/{name}/"
        rules.update({
            f"admin:{app}_{name}_changelist": (view, view),  # a POST without an action selected changes nothing
            f"admin:{app}_{name}_add": (add, add),
            f"admin:{app}_{name}_change": (view, change),
            f"admin:{app}_{name}_delete": (delete, delete),
            f"admin:{app}_{name}_history": (view, view),
            f"{base}<path:object_id>/": (STAFF, STAFF),  # redirects to the change page
        })
    return rules


def all_rules() -> dict[str, tuple[str, str]]:
    return {**_model_admin_rules(), **RULES}


def _routes(patterns=None, prefix="", namespace=""):
    """(key, route, pattern) of every URL pattern, walking included resolvers recursively."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from _routes(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            key = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or route
            yield key, route, entry


def test_every_route_has_a_declared_rule():
    rules = all_rules()
    routes = {key for key, _, _ in _routes()}
    assert routes - set(rules) == set(), "routes without a rule: declare them in RULES"
    assert set(RULES) - routes == set(), "rules for routes that no longer exist"


# --- the walk -----------------------------------------------------------------------------------


@pytest.fixture
def world():
    """Objects for every URL parameter: an NPC with logs and history, a village config, users."""
    npc = npc_with_history(rows=1, messages=1)
    alliance = NPCAllianceFactory(npc_leader=npc)
    NPCMessageFactory(from_npc=npc)
    SchemaVersionFactory()
    config = NPCVillageConfigFactory(world="demo")
    target = user_in_role("game_master", username="target-user")
    group = Group.objects.get(name="game_master")
    services.npc_update_template(npc=npc, template={**npc.behavior_template, "aggression": 0.123},
                                 expected_token=None, by_user=target)
    entry = audit.entries_for("npcs.npc", npc.pk).first()
    history = NPCTemplateHistory.objects.filter(npc=npc).first()
    objects = {"npcs.npc": npc, "npcs.npcalliance": alliance, "auth.user": target, "auth.group": group,
               "npcadmin.auditentry": entry}
    return {"npc": npc, "config": config, "history": history, "objects": objects}


def _first(model, world):
    return world["objects"].get(model._meta.label_lower) or model._default_manager.order_by("pk").first()


def _url(key: str, route: str, pattern, world) -> tuple[str, dict]:
    """The route with real objects in its parameters (and the query string a page needs)."""
    from npcs.models import NPCDecision, NPCMemory

    model = None
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if match:
        model = next((m for m in admin.site._registry if m._meta.app_label == match[1]
                      and m._meta.model_name == match[2]), None)
    npc, config = world["npc"], world["config"]
    values = {
        "object_id": str(_first(model, world).pk) if model else str(npc.pk),
        "id": str(world["objects"]["auth.user"].pk),
        "history_id": str(world["history"].pk), "npc_id": str(npc.pk), "world_id": "demo",
        "village_id": str(config.pk), "priority": "5", "slug": "overview", "version": "x",
        "memory_id": str(NPCMemory.objects.filter(npc=npc).first().pk),
        "decision_id": str(NPCDecision.objects.filter(npc=npc).first().pk),
        "content_type_id": str(ContentType.objects.get_for_model(type(npc)).pk),
    }
    query = {}
    if key == "admin:app_list":
        return "/admin/npcs/", query
    if key == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/", query
    if key == "admin:autocomplete":
        query = {"app_label": "npcs", "model_name": "npcalliance", "field_name": "npc_leader"}
    path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: values[m.group(2)], route)
    return "/" + path, query


def _expected(user, rule: str) -> bool:
    if rule == PUBLIC:
        return True
    if rule == NOBODY or not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return rule == STAFF or user.has_perm(rule)


def _denied(response) -> bool:
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and "/admin/login/" in response.get("Location", "")


def _user(role: str):
    if role == "anonymous":
        return AnonymousUser()
    if role == "staff_no_group":
        return user_in_role(None, username="staff-no-group")
    if role == "superuser":
        return user_in_role(None, username="root", superuser=True)
    return user_in_role(role)


def _client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user.is_authenticated:
        client.force_login(user)
    return client


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("role", ROLE_NAMES)
def test_the_role_matrix(role, world, redis_client):
    user = _user(role)
    rules = all_rules()
    token = get_random_string(32)
    client = _client(user)
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    wrong = []
    routes = sorted(_routes(), key=lambda r: r[0] == "admin:logout")  # logging out last
    for key, route, pattern in routes:
        url, query = _url(key, route, pattern, world)
        for method, rule in zip(("get", "post"), rules[key], strict=True):
            with transaction.atomic(), transaction.atomic(using="world_demo"):
                if method == "get":
                    response = client.get(url, query)
                else:
                    response = client.post(url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query
                                                  else ""), {"csrfmiddlewaretoken": token})
                transaction.set_rollback(True)
                transaction.set_rollback(True, using="world_demo")
            assert response.status_code < 500, (method, url, response.status_code)
            if method == "post" and response.status_code == 403 and b"CSRF" in response.content:
                pytest.fail(f"the CSRF token was refused on {url}")
            expected = _expected(user, rule)
            if expected == _denied(response) and not (expected and response.status_code == 404):
                wrong.append(f"{method.upper()} {url} ({key}): {response.status_code}, "
                             f"expected {'allowed' if expected else 'refused'} by {rule}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


# --- the analyst's runtime POSTs: refused, and the keys remain -------------------------------------


@pytest.mark.django_db(databases="__all__")
def test_the_analysts_runtime_posts_are_refused_and_the_keys_remain(redis_client, world):
    npc = world["npc"]
    member = f'{{"npc_id": {npc.pk}, "action": "build"}}'
    redis_client.zadd("npc:decisions:5", {member: time.time()})
    redis_client.set(f"ratelimit:llm:{npc.pk}", 9, ex=60)
    redis_client.set("llm:response:abc", "{}", ex=3600)
    before = {key: redis_client.dump(key) for key in redis_client.keys("*")}
    client = _client(user_in_role("analyst"))
    token = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    posts = [
        ("/runtime/queues/5/purge/", {"queued_up_to": repr(time.time() + 60), "confirm": "on"}),
        ("/runtime/queues/requeue/", {"member": member, "priority": "5", "to_priority": "1"}),
        ("/runtime/queues/drop/", {"member": member, "priority": "5"}),
        (f"/runtime/ratelimits/{npc.pk}/reset/", {}),
        ("/runtime/llm-cache/flush/", {"confirm": "on"}),
    ]
    for url, data in posts:
        assert client.post(url, {**data, "csrfmiddlewaretoken": token}).status_code == 403, url
    assert {key: redis_client.dump(key) for key in redis_client.keys("*")} == before
    page = client.get("/runtime/").content.decode()
    assert "/purge/" not in page and "llm-cache/flush" not in page  # the actions are not offered


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["ops", "game_master", "analyst"])
def test_no_role_but_user_admin_changes_users_or_groups(role):
    user = user_in_role(role)
    for codename in ("add_user", "change_user", "delete_user", "add_group", "change_group", "delete_group"):
        assert not user.has_perm(f"auth.{codename}"), (role, codename)
    client = _client(user)
    token = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    response = client.post(f"/admin/auth/user/{user.pk}/change/",
                           {"username": user.username, "is_staff": "on", "is_superuser": "on",
                            "csrfmiddlewaretoken": token})
    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.is_superuser


@pytest.mark.django_db
def test_a_user_admin_cannot_make_anyone_superuser():
    manager = user_in_role("user_admin", username="manager")
    client = _client(manager)
    token = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    response = client.post(f"/admin/auth/user/{manager.pk}/change/", {
        "username": "manager", "is_active": "on", "is_staff": "on", "is_superuser": "on",
        "groups": [Group.objects.get(name="user_admin").pk], "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00", "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.content.decode()[:2000]
    manager.refresh_from_db()
    assert not manager.is_superuser  # the field is read-only for them: the save ignored it
    root = user_in_role(None, username="root", superuser=True)
    assert client.get(f"/admin/auth/user/{root.pk}/change/").status_code in (302, 404)  # superusers hidden


def _doc_roles() -> dict[str, dict]:
    """The role table of docs/console.md, parsed."""
    text = (settings.BASE_DIR / "docs" / "console.md").read_text()
    section = text.split("## Roles", 1)[1].split("\n## ", 1)[0]
    roles = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            names = lambda cell: set(re.findall(r"`([^`]+)`", cell))  # noqa: E731
            roles[cells[0].strip("`")] = {"views_console": cells[2] == "yes", "capabilities": names(cells[3]),
                                          "model_permissions": names(cells[4])}
    return roles


def test_the_role_table_in_the_docs_is_the_one_enforced():
    assert _doc_roles() == {
        name: {"views_console": role.views_console, "capabilities": set(role.capabilities),
               "model_permissions": set(role.model_permissions)}
        for name, role in ROLES.items()
    }


# --- WebSocket routes ---------------------------------------------------------------------------


def _websocket_routes(patterns=None, prefix=""):
    from npcadmin.websocket_urls import websocket_urlpatterns

    for entry in websocket_urlpatterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _websocket_routes(entry.url_patterns, route)
        else:
            yield route


def test_every_websocket_route_has_a_declared_rule():
    assert set(_websocket_routes()) == set(WEBSOCKET_RULES)


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
@pytest.mark.parametrize("role", ROLE_NAMES)
async def test_the_websocket_matrix(role, redis_client):
    from channels.db import database_sync_to_async
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from npcadmin.websocket_urls import websocket_urlpatterns

    user = await database_sync_to_async(_user)(role)
    for route, rule in WEBSOCKET_RULES.items():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/" + route)
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        expected = await database_sync_to_async(_expected)(user, rule)
        assert connected == expected, (role, route, rule)
        await communicator.disconnect()
