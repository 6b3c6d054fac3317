"""The mind pages: access, viewing changes nothing, audited adjustments, pinned query counts."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from npcadmin.models import AuditEntry
from npcs.models import NPCMemory
from tests.factories.access import user_in_role
from tests.factories.mind import LessonMemoryFactory, LLMDecisionFactory
from tests.factories.npcs import NPCBattleFactory, NPCDecisionFactory, NPCMemoryFactory, NPCWorldStateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def npc():
    return NPCWorldStateFactory(world_id="testworld").npc


@pytest.fixture
def gm_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("gm", "gm@example.com", "pw"))
    return client


@pytest.fixture
def viewer_client(django_user_model):
    """Staff who may view memories and decisions but not change them (a client of its own)."""
    client = Client()
    client.force_login(user_in_role("analyst", username="viewer"))  # view_mind, not edit_mind
    return client


def test_pages_are_for_staff_with_the_view_permission(client, django_user_model, npc):
    decision = NPCDecisionFactory(npc=npc)
    urls = [reverse("mind:memory_recall", args=[npc.pk]), reverse("mind:decision_timeline", args=[npc.pk]),
            reverse("mind:decision_trace", args=[decision.pk]), reverse("mind:decisions_overview")]
    for url in urls:
        assert client.get(url).status_code == 302  # to the console's login
    client.force_login(django_user_model.objects.create_user("staff", password="pw", is_staff=True))
    for url in urls:
        assert client.get(url).status_code == 403


def test_unknown_npc_or_decision_is_404(gm_client):
    assert gm_client.get(reverse("mind:memory_recall", args=[999999])).status_code == 404
    assert gm_client.get(reverse("mind:decision_trace", args=[999999])).status_code == 404


def test_recall_ranks_for_a_typed_situation_and_shows_components(gm_client, npc):
    hit = NPCMemoryFactory(npc=npc, event_data={"opponent": "PlayerXYZ", "result": "defeat"}, importance=0.1)
    NPCMemoryFactory(npc=npc, event_data={"opponent": "Someone"}, importance=0.1)
    response = gm_client.get(reverse("mind:memory_recall", args=[npc.pk]), {"situation": "PlayerXYZ"})
    assert response.status_code == 200
    ranked = response.context["ranked"]
    assert ranked[0].pk == hit.pk and ranked[0].relevance > 0 and ranked[1].relevance == 0
    assert ranked[0].contributions["relevance"] == pytest.approx(ranked[0].relevance)
    assert b"recall-results" in response.content


def test_viewing_changes_no_memory(gm_client, npc, raw_sql):
    last = timezone.now() - datetime.timedelta(days=3)
    memory = NPCMemoryFactory(npc=npc, accessed_count=4, last_accessed=last,
                              occurred_at=timezone.now() - datetime.timedelta(hours=2))
    decision = LLMDecisionFactory(npc=npc)
    before = raw_sql("SELECT id, accessed_count, last_accessed, importance, expires_at FROM npc_memory ORDER BY id")
    for url, params in ((reverse("mind:memory_recall", args=[npc.pk]), {"situation": "battle PlayerXYZ"}),
                        (reverse("mind:memory_adjust", args=[memory.pk]), {}),
                        (reverse("mind:decision_trace", args=[decision.pk]), {"hours": 24}),
                        (reverse("mind:decision_timeline", args=[npc.pk]), {}),
                        (reverse("mind:decisions_overview"), {})):
        assert gm_client.get(url, params).status_code == 200
    assert raw_sql("SELECT id, accessed_count, last_accessed, importance, expires_at FROM npc_memory ORDER BY id") \
        == before
    assert before[0][1:3] == (4, last)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("params, field", [
    ({"w_recency": "0", "w_importance": "0", "w_emotion": "0", "w_relevance": "0"}, None),
    ({"w_recency": "-1"}, "w_recency"),
    ({"decay": "1.5"}, "decay"),
    ({"since": "2026-02-01", "until": "2026-01-01"}, "until"),
    ({"since": "2020-01-01", "until": "2026-01-01"}, "until"),
    ({"type": "gossip"}, "type"),
    ({"world": "x" * 51}, "world"),
])
def test_recall_rejects_bad_parameters(gm_client, npc, params, field):
    response = gm_client.get(reverse("mind:memory_recall", args=[npc.pk]), params)
    assert response.status_code == 200
    form = response.context["form"]
    assert not form.is_valid()
    assert (field in form.errors) if field else form.non_field_errors()
    assert "ranked" not in response.context


def test_half_life_overrides_decay(gm_client, npc):
    NPCMemoryFactory(npc=npc, occurred_at=timezone.now() - datetime.timedelta(hours=48))
    response = gm_client.get(reverse("mind:memory_recall", args=[npc.pk]), {"half_life": "48", "decay": "0.9"})
    assert response.context["ranked"][0].recency == pytest.approx(0.5, abs=1e-3)


def _memories(npc, n):
    now = timezone.now()
    for i in range(n):
        LessonMemoryFactory(npc=npc, occurred_at=now - datetime.timedelta(hours=i + 1),
                            expires_at=now + datetime.timedelta(days=1))


@pytest.mark.parametrize("rows", [5, 10])
def test_recall_query_count_does_not_grow_with_rows(gm_client, npc, rows, django_assert_max_num_queries):
    _memories(npc, rows)
    with django_assert_max_num_queries(8):  # session, user, npc, worlds, ranked, expiring, lessons
        response = gm_client.get(reverse("mind:memory_recall", args=[npc.pk]), {"situation": "raid"})
    assert len(response.context["ranked"]) == rows


def test_game_master_adjusts_importance_and_expiry_and_it_is_audited(gm_client, npc):
    memory = NPCMemoryFactory(npc=npc, importance=0.5, accessed_count=3)
    url = reverse("mind:memory_adjust", args=[memory.pk])
    back = reverse("mind:memory_recall", args=[npc.pk]) + "?situation=x"
    response = gm_client.post(url, {"importance": "0.9", "expires_at": "2030-01-02T03:04", "reason": "key rival",
                                    "next": back})
    assert response.status_code == 302 and response.url == back
    memory.refresh_from_db()
    assert memory.importance == 0.9
    assert memory.expires_at == datetime.datetime(2030, 1, 2, 3, 4, tzinfo=datetime.UTC)
    assert memory.accessed_count == 3
    entry = AuditEntry.objects.get()
    assert (entry.via, entry.action, entry.object_id, entry.actor_name) == ("mind", "memory.adjust", str(memory.pk),
                                                                            "gm")
    page = gm_client.get(url)
    [record] = page.context["audit"]
    assert record.values == {"importance": [0.5, 0.9], "expires_at": [None, "2030-01-02T03:04:00+00:00"]}
    assert record.reason == "key rival"


def test_saving_unchanged_values_records_nothing(gm_client, npc):
    memory = NPCMemoryFactory(npc=npc, importance=0.5)
    gm_client.post(reverse("mind:memory_adjust", args=[memory.pk]), {"importance": "0.5", "expires_at": ""})
    assert not AuditEntry.objects.exists()


def test_adjust_refuses_bad_values_viewers_and_foreign_redirects(gm_client, viewer_client, npc):
    memory = NPCMemoryFactory(npc=npc, importance=0.5)
    url = reverse("mind:memory_adjust", args=[memory.pk])
    assert viewer_client.post(url, {"importance": "0.9"}).status_code == 403
    response = gm_client.post(url, {"importance": "1.5"})
    assert response.status_code == 200 and "importance" in response.context["form"].errors
    response = gm_client.post(url, {"importance": "0.7", "next": "https://evil.example/"})
    assert response.url == reverse("mind:memory_recall", args=[npc.pk])
    assert NPCMemory.objects.get(pk=memory.pk).importance == 0.7


def test_viewer_sees_recall_without_adjust_links(viewer_client, npc):
    NPCMemoryFactory(npc=npc)
    response = viewer_client.get(reverse("mind:memory_recall", args=[npc.pk]))
    assert response.status_code == 200 and not response.context["can_adjust"]
    assert b"/adjust/" not in response.content


def test_timeline_pages_newest_first_and_flags_departures(gm_client, npc):
    now = timezone.now()
    for i in range(55):
        NPCDecisionFactory(npc=npc, created_at=now - datetime.timedelta(minutes=i))
    departed = LLMDecisionFactory(npc=npc, created_at=now + datetime.timedelta(minutes=1),
                                  final_decision={"action": "attack"})
    url = reverse("mind:decision_timeline", args=[npc.pk])
    first = gm_client.get(url)
    assert first.context["decisions"][0].pk == departed.pk and first.context["decisions"][0].departed
    assert not first.context["decisions"][1].departed
    assert len(first.context["decisions"]) == 50 and first.context["older_url"]
    older = first.context["older_url"]
    assert "cursor=" in older and "page=" not in older and first.context["newer_url"] is None
    second = gm_client.get(url + older)
    assert len(second.context["decisions"]) == 6 and second.context["older_url"] is None
    assert second.context["newer_url"] == "?"
    ids = [d.pk for d in first.context["decisions"]] + [d.pk for d in second.context["decisions"]]
    assert len(set(ids)) == 56
    assert len(gm_client.get(url, {"llm": "yes"}).context["decisions"]) == 1


def test_timeline_old_page_links_redirect_and_junk_cursors_are_refused(gm_client, npc):
    url = reverse("mind:decision_timeline", args=[npc.pk])
    old = gm_client.get(url, {"llm": "yes", "page": 7})
    assert old.status_code == 302 and old["Location"] == f"{url}?llm=yes"
    for junk in ("yesterday~1", "2026-01-01T00:00:00~x", "2026-01-01T00:00:00~5"):  # the last has no zone
        assert gm_client.get(url, {"cursor": junk}).status_code == 400, junk


@pytest.mark.parametrize("rows", [5, 10])
def test_timeline_query_count_does_not_grow_with_rows(gm_client, npc, rows, django_assert_max_num_queries):
    for _ in range(rows):
        LLMDecisionFactory(npc=npc)
    with django_assert_max_num_queries(5):
        response = gm_client.get(reverse("mind:decision_timeline", args=[npc.pk]))
    assert len(response.context["decisions"]) == rows


def test_trace_shows_difference_exchange_timing_and_context_in_window(gm_client, npc):
    at = timezone.now() - datetime.timedelta(days=1)
    decision = LLMDecisionFactory(
        npc=npc, created_at=at, llm_prompt="Think step by step.\n" * 200,
        rule_based_recommendation={"action": "build", "building": "clay_pit", "level": 3},
        final_decision={"action": "build", "building": "warehouse", "priority": "high", "level": 3},
        execution_started_at=at + datetime.timedelta(seconds=2),
        execution_completed_at=at + datetime.timedelta(seconds=92),
        execution_result={"status": "ok"}, outcome_data={"resources_saved": 1200},
    )
    near = NPCMemoryFactory(npc=npc, occurred_at=at - datetime.timedelta(hours=2))
    NPCMemoryFactory(npc=npc, occurred_at=at - datetime.timedelta(hours=30))
    battle = NPCBattleFactory(npc=npc, occurred_at=at + datetime.timedelta(hours=1))
    NPCBattleFactory(npc=npc, occurred_at=at + datetime.timedelta(hours=10))
    response = gm_client.get(reverse("mind:decision_trace", args=[decision.pk]))
    assert response.status_code == 200
    assert [(d.path, d.kind) for d in response.context["differences"]] == [("$.building", "changed"),
                                                                           ("$.priority", "added")]
    assert [m.pk for m in response.context["memories"]] == [near.pk]
    assert [b.pk for b in response.context["battles"]] == [battle.pk]
    html = response.content.decode()
    assert '<details class="trace">' in html and "4000 characters" in html
    assert "took 1 min 30 s" in html and "2.0 s after deciding" in html
    assert reverse("mind:memory_recall", args=[npc.pk]) in response.context["recall_url"]
    wider = gm_client.get(reverse("mind:decision_trace", args=[decision.pk]), {"hours": 48})
    assert len(wider.context["memories"]) == 2 and len(wider.context["battles"]) == 2


def test_overview_renders_and_survives_redis_down(gm_client, npc, settings):
    LLMDecisionFactory(npc=npc, execution_result={"error": "timeout"})
    settings.NPCADMIN_RUNTIME_REDIS_URL = "redis://127.0.0.1:1/0"
    response = gm_client.get(reverse("mind:decisions_overview"))
    assert response.status_code == 200
    assert response.context["redis"].error.startswith("Redis unreachable")
    assert response.context["trouble"][0]["failed"] == 1
    assert b"redis-error" in response.content


def test_pages_read_rows_written_by_the_engine_in_raw_sql(gm_client, npc, raw_sql):
    [(memory_id,)] = raw_sql(
        "INSERT INTO npc_memory (npc_id, world_id, memory_type, event_data, occurred_at, lesson_learned,"
        " behavior_adjustment) VALUES (%s, 'testworld', 'treaty_broken', '[\"oath\", 3]', now() - interval '1 hour',"
        " 'Oaths mean little', '{\"diplomacy\": \"-0.1\", \"reason\": \"betrayed\"}') RETURNING id", [npc.pk])
    [(decision_id,)] = raw_sql(
        "INSERT INTO npc_decisions (npc_id, world_id, decision_type, situation_summary, used_llm, llm_response,"
        " rule_based_recommendation, final_decision) VALUES (%s, 'testworld', 'diplomatic', 'Ally broke the NAP',"
        " true, 'not JSON at all', 'null'::jsonb, '\"declare war\"') RETURNING id", [npc.pk])
    recall_page = gm_client.get(reverse("mind:memory_recall", args=[npc.pk]), {"situation": "oath"})
    [row] = recall_page.context["ranked"]
    assert row.pk == memory_id and row.relevance > 0
    assert recall_page.context["lessons"][0].headline == f"diplomacy -0.10 after treaty broken (memory {memory_id})"
    trace = gm_client.get(reverse("mind:decision_trace", args=[decision_id]))
    assert trace.status_code == 200 and not trace.context["decision"].departed
    assert b"No rule-based recommendation was recorded." in trace.content
    assert b"not JSON at all" in trace.content


@pytest.mark.parametrize("rows", [3, 6])
def test_trace_and_overview_query_counts_do_not_grow_with_rows(gm_client, npc, rows, django_assert_max_num_queries):
    at = timezone.now() - datetime.timedelta(hours=1)
    decision = LLMDecisionFactory(npc=npc, created_at=at)
    for i in range(rows):
        NPCMemoryFactory(npc=npc, occurred_at=at - datetime.timedelta(minutes=i))
        NPCBattleFactory(npc=npc, occurred_at=at + datetime.timedelta(minutes=i))
        LLMDecisionFactory(npc=NPCWorldStateFactory().npc, execution_result={"error": "x"})
    with django_assert_max_num_queries(6):  # session, user, decision + NPC, memories, battles, player names
        trace = gm_client.get(reverse("mind:decision_trace", args=[decision.pk])).content.decode()
    assert trace.count("player #") == rows  # each battle's opponent, named (none of them is an NPC)
    with django_assert_max_num_queries(8):  # session, user, totals, paths, per NPC, per day, trouble, names
        response = gm_client.get(reverse("mind:decisions_overview"))
    assert len(response.context["trouble"]) == rows


def test_times_are_shown_and_read_in_utc_whatever_the_server_time_zone(gm_client, npc, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    decision = NPCDecisionFactory(npc=npc, created_at=datetime.datetime(2026, 1, 1, 23, 30, tzinfo=datetime.UTC))
    assert b"2026-01-01 23:30:00 UTC" in gm_client.get(reverse("mind:decision_trace", args=[decision.pk])).content
    memory = NPCMemoryFactory(npc=npc)
    gm_client.post(reverse("mind:memory_adjust", args=[memory.pk]), {"importance": "0.5",
                                                                     "expires_at": "2030-01-01T00:00"})
    memory.refresh_from_db()
    assert memory.expires_at == datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)


def test_a_world_the_npc_has_no_state_in_can_still_be_filtered(gm_client, npc):
    elsewhere = NPCMemoryFactory(npc=npc, world_id="legacy-s1")
    NPCMemoryFactory(npc=npc, world_id="testworld")
    response = gm_client.get(reverse("mind:memory_recall", args=[npc.pk]), {"world": "legacy-s1"})
    assert [m.pk for m in response.context["ranked"]] == [elsewhere.pk]
    assert b'<option value="legacy-s1" selected>' in response.content
