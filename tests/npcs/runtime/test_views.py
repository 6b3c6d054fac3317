"""The runtime pages: staff only, real Redis, actions that say what they did, bounded queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from npcs.runtime.sync import SyncRuntime
from tests.factories.npcs import NPCFactory, NPCWorldStateFactory
from tests.npcs.runtime.conftest import FULL_STATE

pytestmark = pytest.mark.django_db


@pytest.fixture
def rt(redis_client):
    return SyncRuntime()


@pytest.fixture
def staff_client(client, django_user_model):
    from tests.factories.access import user_in_role

    client.force_login(user_in_role("ops", username="ops"))  # the role that operates the runtime
    return client


@pytest.mark.parametrize("name,args", [
    ("runtime:overview", []), ("runtime:queue", [5]), ("runtime:queue_purge", [5]), ("runtime:npcs", []),
    ("runtime:llm_cache_flush", []),
])
def test_pages_are_for_staff_only(client, django_user_model, name, args):
    url = reverse(name, args=args)
    assert client.get(url).status_code == 302
    client.force_login(django_user_model.objects.create_user("player", password="x"))
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_overview_shows_depths_ages_and_the_next_decisions_with_their_npc(staff_client, rt):
    npc = NPCFactory(name="Gaius Ferox")
    rt.queue_decision(npc.id, {"action": "attack", "target": 77}, priority=2)
    rt.queue_decision(npc.id, {"action": "build"}, priority=2)
    rt.touch_active(npc.id)
    response = staff_client.get(reverse("runtime:overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="queue-depth-2">2<' in html and 'id="queue-depth-5">0<' in html
    assert "Gaius Ferox" in html and "&quot;target&quot;:77" in html
    assert response.context["snapshot"]["active_count"] == 1
    assert 'data-ws-path="/ws/runtime/"' in html and "runtime/runtime-live.js" in html


def test_overview_queries_do_not_grow_with_queued_decisions(staff_client, rt, django_assert_max_num_queries):
    def fill(count):
        for _ in range(count):
            npc = NPCFactory()
            for priority in (1, 4, 9):
                rt.queue_decision(npc.id, {"a": 1}, priority=priority)
            for _ in range(10):
                rt.check_llm_rate_limit(npc.id)

    fill(5)
    with django_assert_max_num_queries(5):  # session, user, NPC names, nav permissions (2)
        assert staff_client.get(reverse("runtime:overview")).status_code == 200
    fill(5)
    with django_assert_max_num_queries(5):
        assert staff_client.get(reverse("runtime:overview")).status_code == 200


def test_requeue_moves_a_decision_and_keeps_its_age(staff_client, rt):
    rt.queue_decision(3, {"action": "scout"}, priority=7)
    (item,) = rt.peek(7)
    response = staff_client.post(reverse("runtime:queue_requeue"),
                                 {"member": item.member, "priority": 7, "to_priority": 1, "next": "/runtime/queues/7/"})
    assert response.status_code == 302 and response["Location"] == "/runtime/queues/7/"
    (moved,) = rt.peek(1)
    assert moved.member == item.member and moved.queued_at == item.queued_at
    again = staff_client.post(reverse("runtime:queue_requeue"),
                              {"member": item.member, "priority": 7, "to_priority": 1}, follow=True)
    assert "no longer queued" in again.content.decode()


def test_requeue_refuses_an_outside_redirect(staff_client, rt):
    rt.queue_decision(3, {"action": "scout"}, priority=7)
    (item,) = rt.peek(7)
    response = staff_client.post(reverse("runtime:queue_requeue"), {
        "member": item.member, "priority": 7, "to_priority": 2, "next": "https://evil.example/"})
    assert response["Location"] == reverse("runtime:overview")


def test_drop_removes_one_of_two_identical_decisions(staff_client, rt):
    rt.queue_decision(3, {"action": "scout"}, priority=4)
    rt.queue_decision(3, {"action": "scout"}, priority=4)
    first = rt.peek(4)[0]
    response = staff_client.post(reverse("runtime:queue_drop"), {"member": first.member, "priority": 4}, follow=True)
    assert "Dropped one decision from priority 4." in response.content.decode()
    assert [d.member for d in rt.peek(4)] != [first.member] and rt.queue_depths([4])[0].depth == 1


def test_purge_asks_with_the_count_then_drops_exactly_those(staff_client, rt):
    for n in range(3):
        rt.queue_decision(n, {"n": n}, priority=9)
    page = staff_client.get(reverse("runtime:queue_purge", args=[9]))
    assert page.status_code == 200 and 'id="purge-count">3<' in page.content.decode()
    up_to = page.context["form"].initial["queued_up_to"]
    unconfirmed = staff_client.post(reverse("runtime:queue_purge", args=[9]), {"queued_up_to": up_to})
    assert unconfirmed.status_code == 200 and rt.queue_depths([9])[0].depth == 3
    rt.queue_decision(99, {"late": True}, priority=9)  # arrives while the operator reads the page
    done = staff_client.post(reverse("runtime:queue_purge", args=[9]),
                             {"queued_up_to": up_to, "confirm": "on"}, follow=True)
    assert "Purged 3 decisions from priority 9." in done.content.decode()
    assert [d.npc_id for d in rt.peek(9)] == [99]


def test_queue_page_pages_through_a_long_queue(staff_client, rt):
    for n in range(60):
        rt.queue_decision(n, {"n": n}, priority=3)
    first = staff_client.get(reverse("runtime:queue", args=[3]))
    assert len(first.context["rows"]) == 50 and first.context["next_offset"] == 50
    second = staff_client.get(reverse("runtime:queue", args=[3]) + "?offset=50")
    assert [r["npc_id"] for r in second.context["rows"]] == list(range(50, 60))



def test_a_queue_outside_1_to_10_written_by_the_engine_is_shown_and_can_be_emptied(staff_client, rt, redis_client):
    redis_client.zadd("npc:decisions:20", {'{"action": "idle", "npc_id": 4}': 1.0})
    html = staff_client.get(reverse("runtime:overview")).content.decode()
    assert 'id="queue-depth-20">1<' in html and "non-standard" in html
    (item,) = rt.peek(20)
    staff_client.post(reverse("runtime:queue_requeue"), {"member": item.member, "priority": 20, "to_priority": 9})
    assert rt.queue_depths([9, 20])[0].depth == 1 and not redis_client.exists("npc:decisions:20")


def test_a_key_of_the_wrong_type_is_reported_not_a_500(staff_client, redis_client):
    redis_client.set("npc:decisions:5", "not a sorted set")
    response = staff_client.get(reverse("runtime:overview"))
    assert response.status_code == 200 and "WRONGTYPE" in response.content.decode()


def test_npcs_page_highlights_where_the_cache_and_the_database_disagree(staff_client, rt):
    state = NPCWorldStateFactory(npc__name="Ambiorix", rank=17, village_count=3, total_population=1250,
                                 offensive_power=4200, current_strategy="military")
    rt.cache_npc_state(state.npc_id, {**FULL_STATE, "rank": 12, "last_decision": None})
    rt.touch_active(state.npc_id)
    response = staff_client.get(reverse("runtime:npcs"))
    html = response.content.decode()
    assert response.status_code == 200 and "Ambiorix" in html
    (row,) = response.context["rows"]
    assert row["row"].different_fields == {"rank"}
    assert 'id="differing-count">1<' in html and "DB: 17" in html


def test_npcs_page_queries_stay_flat(staff_client, rt, django_assert_max_num_queries):
    def fill(count):
        for _ in range(count):
            state = NPCWorldStateFactory()
            rt.cache_npc_state(state.npc_id, FULL_STATE)
            rt.touch_active(state.npc_id)

    fill(4)
    with django_assert_max_num_queries(6):
        staff_client.get(reverse("runtime:npcs"))
    fill(4)
    with django_assert_max_num_queries(6):
        assert len(staff_client.get(reverse("runtime:npcs")).context["rows"]) == 8


def test_reset_rate_limit(staff_client, rt, redis_client):
    for _ in range(10):
        rt.check_llm_rate_limit(5)
    overview = staff_client.get(reverse("runtime:overview")).content.decode()
    assert 'class="at-limit"' in overview
    response = staff_client.post(reverse("runtime:ratelimit_reset", args=[5]), follow=True)
    assert "Reset the LLM rate limit of NPC 5." in response.content.decode()
    assert not redis_client.exists("ratelimit:llm:5")


def test_flush_llm_cache_asks_first(staff_client, rt, redis_client):
    for n in range(4):
        rt.cache_llm_response(f"h{n}", {"x": n})
    page = staff_client.get(reverse("runtime:llm_cache_flush"))
    assert 'id="flush-count">4<' in page.content.decode()
    staff_client.post(reverse("runtime:llm_cache_flush"), {})
    assert redis_client.dbsize() >= 4
    done = staff_client.post(reverse("runtime:llm_cache_flush"), {"confirm": "on"}, follow=True)
    assert "Flushed 4 cached LLM responses." in done.content.decode()
    assert not redis_client.keys("llm:response:*")


def test_npcs_page_shows_the_cached_last_decision_as_a_date_like_the_databases(staff_client, rt):
    state = NPCWorldStateFactory()
    rt.cache_npc_state(state.npc_id, {**FULL_STATE, "last_decision": "1764288000.5"})
    html = staff_client.get(reverse("runtime:npcs")).content.decode()
    assert "2025-11-28 00:00:00 UTC" in html
    assert "1764288000.5" not in html


def test_an_empty_runtime_says_there_are_no_queued_decisions(staff_client, rt):
    html = staff_client.get(reverse("runtime:overview")).content.decode()
    assert 'id="queue-rows" class="all-empty"' in html and "No queued decisions" in html
    rt.queue_decision(3, {"a": 1}, priority=4)
    html = staff_client.get(reverse("runtime:overview")).content.decode()
    assert 'id="queue-rows">' in html  # the band is hidden, the queues shown


def test_overview_draws_the_last_hour_from_redis(staff_client, rt, redis_client):
    import json
    import time

    now = time.time()
    for back in (120, 60, 1):  # samples the live feed recorded
        rt.record_queue_depths(now - back, {1: back, 5: 2})
    rt.record_queue_depths(now - 4000, {1: 99})  # older than the hour: trimmed
    rt.record_decision(used_llm=True, latency_ms=800)
    rt.record_decision(used_llm=False, latency_ms=20)
    response = staff_client.get(reverse("runtime:overview"))
    html = response.content.decode()
    start = html.index('<script id="runtime-history" type="application/json">') + len(
        '<script id="runtime-history" type="application/json">')
    history = json.loads(html[start:html.index("</script>", start)])
    assert history["queue"]["depths"]["1"] == [120, 60, 1] and history["queue"]["depths"]["5"] == [2, 2, 2]
    assert len(history["queue"]["t"]) == 3 and history["queue"]["t"][-1] == int(now - 1) * 1000
    assert len(history["minutes"]) == 60
    assert history["minutes"][-1]["llm_used"] == 1 and history["minutes"][-1]["rule_used"] == 1
    assert history["minutes"][-1]["avg_latency"] == 410.0
    assert "runtime/runtime-charts.js" in html and "/analytics/plotly-" in html


def test_a_simulated_npcs_rate_limit_window_shows_and_resets(staff_client, rt, redis_client):
    for _ in range(9):
        rt.check_llm_rate_limit(-8)  # the simulator's NPC -8, near its limit
    response = staff_client.get(reverse("runtime:overview"))
    assert response.status_code == 200 and "/runtime/ratelimits/-8/reset/" in response.content.decode()
    assert staff_client.post("/runtime/ratelimits/-8/reset/").status_code == 302
    assert not redis_client.exists("ratelimit:llm:-8")
