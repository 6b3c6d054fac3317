"""A stock Django admin (plain ModelAdmins on another AdminSite) works on the same data as the console."""

import pytest
from django.contrib import admin
from django.urls import path

from npcs import models
from tests.factories.npcs import (
    NPCAllianceFactory,
    NPCBattleFactory,
    NPCDecisionFactory,
    NPCMemoryFactory,
    NPCMessageFactory,
    NPCRelationshipFactory,
    NPCTradeFactory,
    NPCWorldStateFactory,
)

stock_site = admin.AdminSite(name="stock")
GLOBAL_MODELS = [
    models.NPC, models.NPCWorldState, models.NPCRelationship, models.NPCMemory, models.NPCDecision,
    models.NPCAlliance, models.NPCMessage, models.NPCBattle, models.NPCTrade, models.SchemaVersion,
]
for _model in GLOBAL_MODELS:
    stock_site.register(_model)
urlpatterns = [path("stock/", stock_site.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _url(obj_or_model, suffix: str) -> str:
    opts = obj_or_model._meta
    return f"/stock/{opts.app_label}/{opts.model_name}/{suffix}"


def test_every_page_of_the_stock_admin_answers(admin_client):
    state = NPCWorldStateFactory()
    npc = state.npc
    rows = [npc, state, NPCRelationshipFactory(npc=npc), NPCMemoryFactory(npc=npc), NPCDecisionFactory(npc=npc),
            NPCAllianceFactory(npc_leader=npc), NPCMessageFactory(from_npc=npc), NPCBattleFactory(npc=npc),
            NPCTradeFactory(npc=npc)]
    for model in GLOBAL_MODELS:
        assert admin_client.get(_url(model, "")).status_code == 200, model
        assert admin_client.get(_url(model, "add/")).status_code == 200, model
    for row in rows:
        assert admin_client.get(_url(row, f"{row.pk}/change/")).status_code == 200, row
        assert admin_client.get(_url(row, f"{row.pk}/delete/")).status_code == 200, row


def test_stock_add_form_shows_the_weight_rule_next_to_the_field(admin_client):
    response = admin_client.post(_url(models.NPC, "add/"), {
        "name": "stocky", "tribe": "Romans", "personality": "economic",
        "behavior_template": '{"aggression": 0.2, "economy": 1.5}', "llm_temperature": "0.7",
        "decision_cache_ttl": "3600", "strategic_update_frequency": "86400", "active": "on",
        "last_active_0": "2026-01-01", "last_active_1": "00:00:00", "total_decisions_made": "0",
        "llm_calls_made": "0", "battles_fought": "0", "villages_founded": "0", "version": "1",
    })
    assert response.status_code == 200
    assert b"economy must be between 0 and 1" in response.content
    assert not models.NPC.objects.filter(name="stocky").exists()


def test_stock_delete_cascades_in_the_database_and_refuses_a_leader(admin_client):
    leader = NPCAllianceFactory(npc_leader=NPCWorldStateFactory().npc).npc_leader
    assert admin_client.post(_url(leader, f"{leader.pk}/delete/"), {"post": "yes"}).status_code == 200
    assert models.NPC.objects.filter(pk=leader.pk).exists()  # protected: the page says why

    plain = NPCWorldStateFactory().npc
    NPCMemoryFactory(npc=plain)
    assert admin_client.post(_url(plain, f"{plain.pk}/delete/"), {"post": "yes"}).status_code == 302
    assert not models.NPC.objects.filter(pk=plain.pk).exists()
    assert not models.NPCMemory.objects.filter(npc_id=plain.pk).exists()
