"""Relationships (treaties as validated rows, bulk set type) and alliances (stance without overlaps)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from npcs.forms import AllianceForm, RelationshipForm
from npcs.models import NPCAlliance, NPCRelationship
from tests.factories.npcs import NPCAllianceFactory, NPCBattleFactory, NPCFactory, NPCRelationshipFactory

pytestmark = pytest.mark.django_db


def _relationship_data(rel, **treaty_rows):
    data = {"npc": rel.npc_id, "world_id": rel.world_id, "target_player_id": rel.target_player_id,
            "relationship_type": rel.relationship_type or "", "trust_score": rel.trust_score,
            "total_interactions": 0, "battles_won_against": 0, "battles_lost_against": 0,
            "resources_raided_from": 0, "resources_lost_to": 0, "messages_sent": 0, "messages_received": 0,
            "treaties_active-TOTAL": len(treaty_rows), "edit_token": RelationshipForm.token_for(rel)}
    for i, (key, value) in enumerate(treaty_rows.items()):
        for part, text in zip(("type", "start", "end", "terms"), value, strict=False):
            data[f"treaties_active-{i}-{part}"] = text
        del key
    return data


def test_treaty_rows_are_validated_and_saved(admin_client):
    rel = NPCRelationshipFactory(treaties_active=[{"type": "NAP", "start": "2026-01-01", "signed_by": "both"}])
    url = reverse("admin:npcs_npcrelationship_change", args=[rel.pk])
    html = admin_client.get(url).content.decode()
    assert 'name="treaties_active-0-type"' in html and "Add another treaty" in html

    bad = _relationship_data(rel, a=("NAP", "2026-01-01", "2025-12-01", ""), b=("", "", "", ""))
    bad["treaties_active-0-extra"] = '{"signed_by": "both"}'
    response = admin_client.post(url, bad)
    assert response.status_code == 200
    assert "Treaty 1: end must be after start." in response.content.decode()

    good = _relationship_data(rel, a=("NAP", "2026-01-01", "2026-06-01", "no raids"),
                              b=("trade_agreement", "2026-02-01", "", ""))
    good["treaties_active-0-extra"] = '{"signed_by": "both"}'
    assert admin_client.post(url, good).status_code == 302
    rel.refresh_from_db()
    assert rel.treaties_active == [
        {"type": "NAP", "start": "2026-01-01", "end": "2026-06-01", "terms": "no raids", "signed_by": "both"},
        {"type": "trade_agreement", "start": "2026-02-01"},
    ]


def test_treaty_without_type_or_start_is_refused(admin_client):
    rel = NPCRelationshipFactory()
    url = reverse("admin:npcs_npcrelationship_change", args=[rel.pk])
    response = admin_client.post(url, _relationship_data(rel, a=("", "", "2026-01-01", "")))
    html = response.content.decode()
    assert response.status_code == 200 and "start date is required" in html and "type must be one of" in html


def test_bulk_set_type(admin_client):
    rels = [NPCRelationshipFactory(relationship_type="neutral") for _ in range(3)]
    url = reverse("admin:npcs_npcrelationship_changelist")
    data = {"action": "set_relationship_type", "_selected_action": [r.pk for r in rels]}
    assert "New type" in admin_client.post(url, data).content.decode()
    response = admin_client.post(url, {**data, "post": "yes", "relationship_type": "enemy"}, follow=True)
    assert "3 relationship(s) set to enemy." in response.content.decode()
    assert set(NPCRelationship.objects.values_list("relationship_type", flat=True)) == {"enemy"}


def _alliance_data(alliance, **stance):
    return {"world_id": alliance.world_id, "alliance_id": alliance.alliance_id, "name": alliance.name,
            "tag": alliance.tag, "npc_leader": alliance.npc_leader_id or "", "alliance_strategy": "",
            "total_members": 0, "npc_members": 0, "edit_token": AllianceForm.token_for(alliance), **stance}


def test_alliance_stance_rejects_an_alliance_in_two_lists(admin_client):
    alliance = NPCAllianceFactory(npc_leader=NPCFactory())
    url = reverse("admin:npcs_npcalliance_change", args=[alliance.pk])
    response = admin_client.post(url, _alliance_data(alliance, allied_alliances="5, 6", enemy_alliances="6"))
    assert response.status_code == 200
    assert "Alliance 6 is already in Allied alliances" in response.content.decode()
    response = admin_client.post(url, _alliance_data(alliance, allied_alliances="5, x"))
    assert "not an alliance id" in response.content.decode()
    assert admin_client.post(url, _alliance_data(alliance, allied_alliances="5", nap_alliances="7, 8")
                             ).status_code == 302
    alliance.refresh_from_db()
    assert alliance.diplomatic_stance == {"allied_alliances": [5], "enemy_alliances": [], "nap_alliances": [7, 8]}


def test_alliance_leader_is_picked_by_autocomplete(admin_client):
    NPCFactory(name="Vercingetorix")
    alliance = NPCAllianceFactory()
    html = admin_client.get(reverse("admin:npcs_npcalliance_change", args=[alliance.pk])).content.decode()
    assert "admin-autocomplete" in html
    response = admin_client.get(reverse("admin:autocomplete"), {
        "term": "Vercin", "app_label": "npcs", "model_name": "npcalliance", "field_name": "npc_leader"})
    assert "Vercingetorix" in response.content.decode()
    assert NPCAlliance.objects.count() == 1


def test_date_range_filter_uses_bounds(admin_client):
    old = NPCBattleFactory(occurred_at=timezone.now() - datetime.timedelta(days=40))
    new = NPCBattleFactory()
    since = (timezone.now() - datetime.timedelta(days=7)).date().isoformat()
    html = admin_client.get(reverse("admin:npcs_npcbattle_changelist"),
                            {"occurred_at__gte": since, "occurred_at__lt": ""}).content.decode()
    assert f"/npcbattle/{new.pk}/change/" in html and f"/npcbattle/{old.pk}/change/" not in html
