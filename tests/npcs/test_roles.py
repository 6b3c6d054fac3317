"""Roles: the command is idempotent, an analyst can read everything and change nothing by any URL."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from npcs.models import NPC, NPCAlliance, NPCMemory, NPCRelationship, NPCTemplateHistory
from tests.factories.console import npc_with_history
from tests.factories.npcs import NPCAllianceFactory, NPCMessageFactory

pytestmark = pytest.mark.django_db


def test_create_roles_dry_run_then_idempotent():
    out = StringIO()
    call_command("create_roles", "--dry-run", stdout=out)
    assert "would create" in out.getvalue() and not Group.objects.exists()
    call_command("create_roles", stdout=StringIO())
    out = StringIO()
    call_command("create_roles", stdout=out)
    assert "+0 / -0" in out.getvalue()
    gm = set(Group.objects.get(name="game_master").permissions.values_list("codename", flat=True))
    assert {"change_npc", "view_npcdecision", "change_npcrelationship"} <= gm and "change_npcdecision" not in gm
    analyst = Group.objects.get(name="analyst").permissions.values_list("codename", flat=True)
    assert all(code.startswith("view_") for code in analyst)


@pytest.fixture
def analyst_client(client, django_user_model):
    call_command("create_roles", stdout=StringIO())
    user = django_user_model.objects.create_user("ana", password="pw-analyst-123", is_staff=True)
    user.groups.add(Group.objects.get(name="analyst"))
    client.force_login(user)
    return client


@pytest.mark.django_db(databases="__all__")  # the NPC page reads villages in every world
def test_analyst_reads_everything(analyst_client):
    npc = npc_with_history(rows=1, messages=1)
    for model in admin.site._registry:
        if model._meta.app_label != "npcs":
            continue
        url = reverse(f"admin:npcs_{model._meta.model_name}_changelist")
        assert analyst_client.get(url).status_code == 200, url
    assert analyst_client.get(reverse("admin:npcs_npc_overview", args=[npc.pk])).status_code == 200
    assert analyst_client.get(reverse("admin:index")).status_code == 200


def test_analyst_cannot_change_anything_by_any_url(analyst_client):
    npc = npc_with_history(rows=1, messages=1)
    NPCAllianceFactory(npc_leader=npc)
    before = NPC.objects.values().get(pk=npc.pk)
    memory = NPCMemory.objects.get(npc=npc)
    attempts = []
    for model in admin.site._registry:
        if model._meta.app_label != "npcs":
            continue
        name = model._meta.model_name
        obj = model.objects.first()
        attempts.append(("post", reverse(f"admin:npcs_{name}_add"), {}))
        if obj is not None:
            attempts.append(("post", reverse(f"admin:npcs_{name}_change", args=[obj.pk]), {"importance": "0.9"}))
            attempts.append(("post", reverse(f"admin:npcs_{name}_delete", args=[obj.pk]), {"post": "yes"}))
    history = NPCTemplateHistory.objects.filter(npc=npc).first()
    attempts += [
        ("post", reverse("admin:npcs_npc_clone", args=[npc.pk]), {"name": "Sneaky"}),
        ("post", reverse("admin:npcs_npc_add_from_preset"),
         {"name": "Sneaky", "tribe": "Romans", "personality": "balanced"}),
        ("post", reverse("admin:npcs_npc_deactivate", args=[npc.pk]), {}),
    ]
    if history:
        attempts.append(("post", reverse("admin:npcs_npc_template_restore", args=[npc.pk, history.pk]), {}))
    for _, url, data in attempts:
        assert analyst_client.post(url, data).status_code in (302, 403), url
    for action in ("pause_npcs", "deactivate_npcs"):
        analyst_client.post(reverse("admin:npcs_npc_changelist"),
                            {"action": action, "_selected_action": [npc.pk], "post": "yes"})
    analyst_client.post(reverse("admin:npcs_npcrelationship_changelist"),
                        {"action": "set_relationship_type", "post": "yes", "relationship_type": "enemy",
                         "_selected_action": list(NPCRelationship.objects.values_list("pk", flat=True))})
    assert NPC.objects.values().get(pk=npc.pk) == before
    assert not NPC.objects.filter(name="Sneaky").exists()
    memory.refresh_from_db()
    assert memory.importance == 0.5
    assert not NPCRelationship.objects.filter(relationship_type="enemy").exists()
    assert NPCAlliance.objects.filter(npc_leader=npc).exists() and NPCMessageFactory._meta.model.objects.exists()


def test_game_master_edits_npcs_but_not_logs(client, django_user_model):
    call_command("create_roles", stdout=StringIO())
    user = django_user_model.objects.create_user("gm2", password="pw-gm-12345", is_staff=True)
    user.groups.add(Group.objects.get(name="game_master"))
    client.force_login(user)
    npc = npc_with_history(rows=1)
    assert client.get(reverse("admin:npcs_npc_change", args=[npc.pk])).status_code == 200
    response = client.post(reverse("admin:npcs_npc_changelist"),
                           {"action": "pause_npcs", "_selected_action": [npc.pk], "post": "yes"})
    assert response.status_code == 302
    npc.refresh_from_db()
    assert npc.paused
    decision = npc.decisions.get()
    assert client.post(reverse("admin:npcs_npcdecision_change", args=[decision.pk]), {}).status_code == 403


def test_dashboard_counts(admin_client):
    npc_with_history(rows=1)
    npc_with_history(rows=1, paused=True)
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert 'id="console-counts"' in html and "decisions in the last hour" in html


def test_analyst_sees_every_detail_page_read_only(analyst_client):
    npc = npc_with_history(rows=1, messages=1)
    NPCAllianceFactory(npc_leader=npc)
    for model in admin.site._registry:
        if model._meta.app_label != "npcs":
            continue
        obj = model.objects.first()
        if obj is None:
            continue
        response = analyst_client.get(reverse(f"admin:npcs_{model._meta.model_name}_change", args=[obj.pk]))
        assert response.status_code == 200, model
        assert b'name="_save"' not in response.content, model
    html = analyst_client.get(reverse("admin:npcs_npc_change", args=[npc.pk])).content.decode()
    assert "Aggression" in html and str(npc.behavior_template["aggression"]) in html
