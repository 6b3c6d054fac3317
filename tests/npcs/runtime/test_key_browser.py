"""The ops-only Redis key browser: SCAN paging, every type shown, delete confirmed and audited."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from django.urls import reverse

from npcadmin.models import AuditEntry
from npcs.runtime.sync import SyncRuntime
from tests.factories.access import user_in_role

pytestmark = pytest.mark.django_db

DEAD_SOCKET = "unix:///nonexistent/npcadmin-runtime.sock"


@pytest.fixture
def ops_client(client):
    client.force_login(user_in_role("ops", username="ops"))
    return client


def test_search_pages_with_the_scan_cursor_and_finds_every_key_once(ops_client, redis_client):
    for i in range(250):
        redis_client.set(f"npc:active:{i}", "1764288000.5")
    redis_client.set("llm:response:abc", "{}")
    seen, cursor, pages = [], 0, 0
    while True:
        response = ops_client.get(reverse("runtime:keys"), {"pattern": "npc:active:*", "count": 50, "cursor": cursor})
        assert response.status_code == 200
        page = response.context["page"]
        seen += [k.name for k in page.keys]
        pages += 1
        cursor = page.cursor
        if not cursor:
            break
        assert f"cursor={cursor}" in response.content.decode()  # the "scan on" link carries it
    assert sorted(seen) == sorted(f"npc:active:{i}" for i in range(250)) and pages > 1
    assert all(name.startswith("npc:active:") for name in seen)


def test_the_list_shows_type_ttl_size_and_memory_and_offers_the_engine_patterns(ops_client, redis_client):
    SyncRuntime().queue_decision(7, {"action": "attack"}, priority=3)
    redis_client.hset("npc:state:7", mapping={"villages": 3, "rank": 12})
    redis_client.expire("npc:state:7", 300)
    response = ops_client.get(reverse("runtime:keys"), {"pattern": "npc:*"})
    rows = {k.name: k for k in response.context["page"].keys}
    assert rows["npc:decisions:3"].type == "zset" and rows["npc:decisions:3"].size == 1
    assert rows["npc:decisions:3"].ttl is None and rows["npc:decisions:3"].memory_bytes > 0
    assert rows["npc:state:7"].type == "hash" and rows["npc:state:7"].size == 2 and 0 < rows["npc:state:7"].ttl <= 300
    html = response.content.decode()
    for preset in ("npc:state:*", "npc:decisions:*", "ratelimit:llm:*", "llm:response:*", "metrics:decisions:*"):
        assert f"<code>{preset}</code>" in html


@pytest.mark.parametrize("query,field", [
    ({"count": "lots"}, "count"), ({"count": "5"}, "count"), ({"count": "100000"}, "count"),
    ({"cursor": "-1"}, "cursor"), ({"cursor": "abc"}, "cursor"), ({"pattern": "x" * 600}, "pattern"),
])
def test_junk_parameters_get_a_clear_400(ops_client, redis_client, query, field):
    response = ops_client.get(reverse("runtime:keys"), query)
    assert response.status_code == 400
    html = response.content.decode()
    assert "That search cannot run" in html and f"({field}=" in html


def test_each_type_is_shown_pretty_and_long_values_truncated(ops_client, redis_client):
    redis_client.set("llm:response:h1", json.dumps({"answer": {"attack": 77}, "why": "ok"}))
    redis_client.rpush("some:list", *[f"item-{i}" for i in range(150)])
    redis_client.sadd("some:set", "a", "b")
    redis_client.xadd("some:stream", {"event": "battle"})
    SyncRuntime().queue_decision(9, {"action": "build", "target": 3}, priority=5)

    string = ops_client.get(reverse("runtime:key"), {"key": "llm:response:h1"})
    assert string.status_code == 200
    assert '{\n  &quot;answer&quot;: {\n    &quot;attack&quot;: 77\n  },' in string.content.decode()  # json_text
    listing = ops_client.get(reverse("runtime:key"), {"key": "some:list"})
    assert len(listing.context["rows"]) == 100 and listing.context["value"].truncated
    assert "(the first 100 entries of 150)" in listing.content.decode()
    members = ops_client.get(reverse("runtime:key"), {"key": "some:set"}).context["rows"]
    assert {r["name"] for r in members} == {"a", "b"}
    stream = ops_client.get(reverse("runtime:key"), {"key": "some:stream"}).content.decode()
    assert "&quot;event&quot;: &quot;battle&quot;" in stream
    queue = ops_client.get(reverse("runtime:key"), {"key": "npc:decisions:5"})
    (row,) = queue.context["rows"]
    assert json.loads(row["name_json"])["action"] == "build"  # the member, pretty-printed


def test_a_missing_key_is_a_404_and_no_key_a_400(ops_client, redis_client):
    assert ops_client.get(reverse("runtime:key"), {"key": "no:such:key"}).status_code == 404
    assert ops_client.get(reverse("runtime:key")).status_code == 400
    assert ops_client.get(reverse("runtime:key_delete")).status_code == 400


def test_delete_asks_first_then_deletes_and_audits(ops_client, redis_client):
    redis_client.set("ratelimit:llm:5", "4", ex=60)
    confirm = ops_client.get(reverse("runtime:key_delete"), {"key": "ratelimit:llm:5"})
    assert confirm.status_code == 200 and 'id="delete-key"' in confirm.content.decode()
    unconfirmed = ops_client.post(reverse("runtime:key_delete"), {"key": "ratelimit:llm:5"})
    assert unconfirmed.status_code == 400 and redis_client.exists("ratelimit:llm:5")
    assert not AuditEntry.objects.filter(action="runtime.key_delete").exists()

    done = ops_client.post(reverse("runtime:key_delete"), {"key": "ratelimit:llm:5", "confirm": "on"}, follow=True)
    assert done.status_code == 200 and "Deleted the key ratelimit:llm:5" in done.content.decode()
    assert not redis_client.exists("ratelimit:llm:5")
    entry = AuditEntry.objects.get(action="runtime.key_delete")
    assert entry.object_id == "ratelimit:llm:5" and entry.actor.username == "ops" and entry.via == "runtime"
    assert entry.detail["type"] == "string" and entry.detail["deleted"] is True


@pytest.mark.parametrize("role", ["analyst", "game_master"])
def test_only_ops_may_browse_or_delete(client, redis_client, role):
    redis_client.set("npc:active:1", "1")
    client.force_login(user_in_role(role))
    assert client.get(reverse("runtime:keys")).status_code == 403
    assert client.get(reverse("runtime:key"), {"key": "npc:active:1"}).status_code == 403
    assert client.post(reverse("runtime:key_delete"), {"key": "npc:active:1", "confirm": "on"}).status_code == 403
    assert redis_client.exists("npc:active:1")
    assert 'id="nav-redis-keys"' not in client.get(reverse("runtime:overview")).content.decode()


def test_ops_see_the_key_browser_in_the_runtime_nav(ops_client, redis_client):
    assert 'id="nav-redis-keys"' in ops_client.get(reverse("runtime:overview")).content.decode()


@pytest.mark.faults
@pytest.mark.parametrize("name,query", [("runtime:keys", {}), ("runtime:keys", {"pattern": "npc:*"}),
                                        ("runtime:key", {"key": "a"}), ("runtime:key_delete", {"key": "a"})])
def test_redis_down_gives_the_unavailable_banner(ops_client, name, query):
    with override_settings(NPCADMIN_RUNTIME_REDIS_URL=DEAD_SOCKET):
        response = ops_client.get(reverse(name), query)
        assert response.status_code == 200 and "Redis unavailable." in response.content.decode()
        posted = ops_client.post(reverse("runtime:key_delete"), {"key": "a", "confirm": "on"})
        assert posted.status_code == 200 and "Redis unavailable." in posted.content.decode()
