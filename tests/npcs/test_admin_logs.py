"""Engine logs in the console: constant queries, no COUNT(*), read-only except what a GM may change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from npcs.models import NPCDecision, NPCMemory, NPCMessage
from tests.factories.console import npc_with_history
from tests.factories.npcs import NPCMessageFactory
from tests.npcs.conftest import full_counts

pytestmark = pytest.mark.django_db

BIG_CHANGELISTS = ("npcmemory", "npcdecision", "npcbattle", "npctrade", "npcmessage", "npcrelationship",
                   "npcworldstate", "npcalliance", "npc", "npctemplatehistory", "schemaversion")


def _fill(npcs: int):
    for _ in range(npcs):
        npc = npc_with_history(rows=2, messages=2)
        from tests.factories.npcs import NPCAllianceFactory
        NPCAllianceFactory(npc_leader=npc)


@pytest.mark.parametrize("model", BIG_CHANGELISTS)
def test_changelist_queries_are_the_same_at_n_and_2n_rows(admin_client, count_queries, model):
    url = reverse(f"admin:npcs_{model}_changelist")
    _fill(3)
    first, queries_n = count_queries(admin_client.get, url)
    _fill(3)
    second, queries_2n = count_queries(admin_client.get, url)
    assert first.status_code == second.status_code == 200
    assert len(queries_2n) == len(queries_n) <= 9, queries_2n
    assert not full_counts(queries_2n), "a changelist counted its table"


@pytest.mark.parametrize("model", ["npcmemory", "npcdecision", "npcbattle", "npctrade", "npcmessage"])
def test_filtered_changelists_never_count(admin_client, count_queries, model):
    _fill(2)
    url = reverse(f"admin:npcs_{model}_changelist")
    field = {"npcmemory": "occurred_at", "npcbattle": "occurred_at", "npcmessage": "sent_at"}.get(model, "created_at")
    response, queries = count_queries(admin_client.get, url, {"world": "testworld", f"{field}__gte": "2020-01-01",
                                                              f"{field}__lt": ""})
    assert response.status_code == 200 and "?e=1" not in response.get("Location", "")
    assert not full_counts(queries)


def test_decision_detail_formats_json_and_prompt_and_is_read_only(admin_client):
    npc = npc_with_history(rows=1)
    decision = NPCDecision.objects.get(npc=npc)
    url = reverse("admin:npcs_npcdecision_change", args=[decision.pk])
    html = admin_client.get(url).content.decode()
    assert '<pre class="npc-json">' in html and "You are an NPC." in html
    assert '"action": "build"' in html.replace("&quot;", '"')
    assert admin_client.post(url, {"situation_summary": "changed"}).status_code == 403
    assert admin_client.get(reverse("admin:npcs_npcdecision_add")).status_code == 403


def test_memory_importance_is_editable_and_validated(admin_client):
    npc = npc_with_history(rows=1)
    memory = NPCMemory.objects.get(npc=npc)
    url = reverse("admin:npcs_npcmemory_change", args=[memory.pk])
    response = admin_client.post(url, {"importance": "1.7", "expires_at_0": "", "expires_at_1": ""})
    assert response.status_code == 200 and "between 0" in response.content.decode()
    response = admin_client.post(url, {"importance": "0.9", "expires_at_0": "", "expires_at_1": ""})
    assert response.status_code == 302
    memory.refresh_from_db()
    assert memory.importance == 0.9 and memory.memory_type == "battle"


def test_message_outcome_is_editable(admin_client):
    message = NPCMessageFactory()
    url = reverse("admin:npcs_npcmessage_change", args=[message.pk])
    response = admin_client.post(url, {"response_received": "on", "response_positive": "true",
                                       "objective_achieved": "true"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.objective_achieved is True and message.message_body.startswith("Greetings")
    assert not NPCMessage.objects.exclude(pk=message.pk).exists()


def test_every_engine_log_admin_declares_the_pretty_display_it_shows():
    """Detail pages name `pretty_<field>` for JSON/long text: each must be a declared @admin.display."""
    from django.contrib import admin as django_admin

    from npcs.admin.base import EngineLogAdmin

    logs = [a for a in django_admin.site._registry.values() if isinstance(a, EngineLogAdmin)]
    assert logs
    for model_admin in logs:
        for name in model_admin._shown_fields():
            if name.startswith("pretty_"):
                method = getattr(type(model_admin), name, None)
                assert callable(method) and hasattr(method, "short_description"), (type(model_admin), name)
