"""The one audit trail (npcadmin/audit.py): services, admin saves and commands record who, what
(fields before → after) and when; the audit page filters by user, object and time."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from npcadmin import audit
from npcadmin.models import AuditEntry
from npcs import services
from npcs.forms import RelationshipForm
from npcs.transfer import npcs_export_json, npcs_import
from tests.factories.access import user_in_role
from tests.factories.npcs import NPCFactory, NPCRelationshipFactory

pytestmark = pytest.mark.django_db


def test_a_service_records_who_changed_which_fields_from_what_to_what():
    gm = user_in_role("game_master")
    npc = NPCFactory(name="Before", llm_temperature=0.5)
    services.npc_update(npc=npc, data={"name": "After", "llm_temperature": 0.9}, expected_token=None, by_user=gm)
    entry = audit.entries_for("npcs.npc", npc.pk).get()
    assert (entry.actor, entry.actor_name, entry.via, entry.action) == (gm, gm.username, "console", "npc.update")
    assert entry.changes == {"name": ["Before", "After"], "llm_temperature": [0.5, 0.9]}
    assert entry.object_repr == "After"


def test_npc_create_is_recorded_too():
    gm = user_in_role("game_master")
    npc = services.npc_create_from_preset(name="Fresh", tribe="Gauls", personality="balanced", by_user=gm)
    entry = audit.entries_for("npcs.npc", npc.pk).get()
    assert entry.action == "npc.create" and entry.changes["name"] == [None, "Fresh"]


def test_an_admin_form_save_is_recorded_with_before_and_after(admin_client):
    rel = NPCRelationshipFactory(relationship_type="neutral", trust_score=3)
    data = {"npc": rel.npc_id, "world_id": rel.world_id, "target_player_id": rel.target_player_id,
            "relationship_type": "enemy", "trust_score": -4, "total_interactions": 0, "battles_won_against": 0,
            "battles_lost_against": 0, "resources_raided_from": 0, "resources_lost_to": 0, "messages_sent": 0,
            "messages_received": 0, "treaties_active-TOTAL": 0, "edit_token": RelationshipForm.token_for(rel)}
    response = admin_client.post(reverse("admin:npcs_npcrelationship_change", args=[rel.pk]), data)
    assert response.status_code == 302
    entry = audit.entries_for("npcs.npcrelationship", rel.pk).get()
    assert entry.changes["relationship_type"] == ["neutral", "enemy"]
    assert entry.changes["trust_score"] == [3, -4]
    from django.contrib.admin.models import LogEntry

    assert not LogEntry.objects.exists()  # one trail, not two


def test_a_command_is_named_as_the_actor():
    call_command("create_roles", stdout=StringIO())
    entries = AuditEntry.objects.filter(action="group.set_permissions")
    assert entries.count() == 4
    assert set(entries.values_list("actor_name", "via")) == {("command:create_roles", "command")}
    call_command("create_roles", stdout=StringIO())
    assert entries.count() == 4  # nothing changed, nothing recorded


def test_a_rolled_back_write_leaves_no_entry():
    npc = NPCFactory(name="Exported")
    document = json.loads(npcs_export_json())
    document["npcs"][0]["name"] = "Renamed"
    npcs_import(data=document, dry_run=True)
    assert not AuditEntry.objects.exists()
    npcs_import(data=document)
    assert audit.entries_for("npcs.npc", npc.pk).get().changes["name"] == ["Exported", "Renamed"]


def test_passwords_never_reach_the_trail(admin_client):
    response = admin_client.post(reverse("admin:auth_user_add"), {
        "username": "newbie", "password1": "a-Secret-pass-42", "password2": "a-Secret-pass-42",
        "usable_password": "true"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="user.create")
    assert "a-Secret-pass-42" not in json.dumps(entry.changes)


def test_the_audit_page_filters_by_user_and_object(client):
    gm, other = user_in_role("game_master"), user_in_role("ops")
    npc, second = NPCFactory(), NPCFactory()
    services.npc_pause(npc=npc, by_user=gm)
    services.npc_pause(npc=second, by_user=other)
    client.force_login(user_in_role("analyst"))
    url = reverse("admin:npcadmin_auditentry_changelist")
    by_user = client.get(url, {"actor__id__exact": gm.pk})
    assert by_user.status_code == 200
    assert [e.object_id for e in by_user.context["cl"].result_list] == [str(npc.pk)]
    by_object = client.get(url, {"object_type__exact": "npcs.npc", "q": str(second.pk)})
    assert [e.actor_name for e in by_object.context["cl"].result_list] == [other.username]
    assert client.get(url, {"at__gte": "2000-01-01 00:00:00+00:00"}).status_code == 200


def test_nobody_edits_the_trail(admin_client, client):
    entry = audit.record(actor="command:test", via="command", action="x", object_type="t")
    assert admin_client.get(reverse("admin:npcadmin_auditentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:npcadmin_auditentry_delete", args=[entry.pk]), {"post": "yes"}
                             ).status_code == 403
    client.force_login(user_in_role(None, username="nobody-special"))
    assert client.get(reverse("admin:npcadmin_auditentry_changelist")).status_code == 403


def test_record_refuses_an_entry_without_anyone():
    with pytest.raises(ValueError, match="by_user or actor"):
        audit.record(via="console", action="npc.update", object_type="npcs.npc")
    with pytest.raises(ValueError, match="via"):
        audit.record(actor="me", via="somewhere", action="x")


@pytest.mark.django_db(databases="__all__")  # the NPC page reads villages in every world
def test_the_npc_page_shows_its_changes_to_those_who_may_read_the_trail(client):
    gm = user_in_role("game_master")
    npc = NPCFactory(name="Watched")
    services.npc_pause(npc=npc, by_user=gm)
    client.force_login(gm)
    page = client.get(reverse("admin:npcs_npc_overview", args=[npc.pk]))
    assert page.status_code == 200
    [entry] = page.context["audit_entries"]
    assert entry.action == "npc.pause" and 'id="audit"' in page.content.decode()
