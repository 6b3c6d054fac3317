"""Property: junk POSTed to the runtime page's actions (requeue, drop, purge, rate-limit reset, LLM
cache flush) never crashes, and a form that is not valid changes nothing in Redis."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given

from npcs.runtime.forms import ConfirmForm, PurgeForm, QueuedDecisionForm, RequeueForm
from npcs.runtime.sync import SyncRuntime
from tests.junk import FORM_SETTINGS, apply, junk_for

pytestmark = pytest.mark.django_db

FIELDS = ("member", "priority", "to_priority", "queued_up_to", "confirm", "next")


def _redis_state(client) -> dict:
    state = {}
    for key in sorted(client.scan_iter(count=1000)):
        kind = client.type(key)
        if kind == "zset":
            state[key] = client.zrange(key, 0, -1, withscores=True)
        elif kind == "hash":
            state[key] = client.hgetall(key)
        elif kind == "string":
            state[key] = client.get(key)
        elif kind == "list":
            state[key] = client.lrange(key, 0, -1)
        elif kind == "set":
            state[key] = sorted(client.smembers(key))
    return state


@pytest.fixture
def seeded(redis_client):
    def seed():
        redis_client.flushdb()
        runtime = SyncRuntime()
        runtime.queue_decision(7, {"action": "attack", "target": 77}, priority=2)
        runtime.queue_decision(8, {"action": "build"}, priority=5)
        return redis_client
    return seed


ACTIONS = [
    ("runtime:queue_requeue", [], RequeueForm),
    ("runtime:queue_drop", [], QueuedDecisionForm),
    ("runtime:queue_purge", [2], PurgeForm),
    ("runtime:llm_cache_flush", [], ConfirmForm),
]


@FORM_SETTINGS
@given(junk=junk_for(FIELDS))
def test_runtime_actions_with_junk(admin_client, seeded, junk):
    for name, args, form_class in ACTIONS:
        client = seeded()
        before = _redis_state(client)
        data = apply({"member": "not-a-queued-decision", "priority": "2", "to_priority": "3"}, junk)
        response = admin_client.post(reverse(name, args=args), data)
        assert response.status_code in (200, 302), name
        if not form_class(data).is_valid():
            assert _redis_state(client) == before, f"{name} changed Redis with an invalid form"
    client = seeded()
    before = _redis_state(client)
    response = admin_client.post(reverse("runtime:ratelimit_reset", args=[7]), apply({}, junk))
    assert response.status_code == 302 and _redis_state(client) == before  # there was no window to reset


@FORM_SETTINGS
@given(params=junk_for(("offset", "next", "page")))
def test_runtime_pages_with_junk_parameters(admin_client, seeded, params):
    seeded()
    query = {k: v for k, v in params.items() if v is not None}
    for url in (reverse("runtime:overview"), reverse("runtime:queue", args=[2]), reverse("runtime:npcs")):
        assert admin_client.get(url, query).status_code in (200, 400), url
