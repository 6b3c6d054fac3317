"""Services of the console: flags, edits with optimistic concurrency, history, clone, presets, delete."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from npcs import services
from npcs.models import NPC, NPCAlliance, NPCMemory, NPCTemplateHistory
from npcs.presets import PERSONALITY_PRESETS
from npcs.selectors import npc_edit_token
from tests.factories.console import npc_with_history
from tests.factories.npcs import NPCAllianceFactory, NPCFactory, NPCMessageFactory

pytestmark = pytest.mark.django_db


def test_pause_counts_only_npcs_that_change(admin_user):
    a, b, c = NPCFactory(), NPCFactory(paused=True), NPCFactory()
    assert services.npcs_pause(npc_ids=[a.pk, b.pk, c.pk], by_user=admin_user) == 2
    assert set(NPC.objects.filter(paused=True).values_list("pk", flat=True)) == {a.pk, b.pk, c.pk}
    assert services.npcs_resume(npc_ids=[a.pk], by_user=admin_user) == 1
    assert services.npc_deactivate(npc=b, by_user=admin_user) is True
    assert services.npc_deactivate(npc=b, by_user=admin_user) is False
    from npcadmin import audit
    trail = list(audit.entries_for("npcs.npc", a.pk).order_by("at", "id")
                 .values_list("action", "changes", "actor_name"))
    assert trail == [("npc.pause", {"paused": [False, True]}, admin_user.username),
                     ("npc.resume", {"paused": [True, False]}, admin_user.username)]


def test_template_change_bumps_version_and_is_kept_in_history(admin_user):
    npc = NPCFactory(personality="balanced")
    token = npc_edit_token(npc)
    template = {**npc.behavior_template, "aggression": 0.7, "scouting": 0.3}
    updated = services.npc_update_template(npc=npc, template=template, expected_token=token, by_user=admin_user)
    assert updated.version == 2
    entry = NPCTemplateHistory.objects.get(npc=npc)
    assert entry.version == 2 and entry.changed_by == admin_user
    assert ("aggression", 0.5, 0.7) in entry.diff() and ("scouting", None, 0.3) in entry.diff()
    # Other fields do not create versions.
    again = services.npc_update(npc=updated, data={"notes": "watch"}, expected_token=npc_edit_token(updated))
    assert again.version == 2 and NPCTemplateHistory.objects.filter(npc=npc).count() == 1


def test_second_of_two_concurrent_saves_is_refused():
    npc = NPCFactory()
    token_first = token_second = npc_edit_token(npc)
    services.npc_update(npc=npc, data={"llm_temperature": 1.1}, expected_token=token_first)
    with pytest.raises(services.ConcurrentEditError) as refused:
        services.npc_update(npc=npc, data={"llm_temperature": 0.2}, expected_token=token_second)
    assert refused.value.current.llm_temperature == 1.1
    npc.refresh_from_db()
    assert npc.llm_temperature == 1.1


def test_invalid_template_is_a_validation_error_not_a_database_error():
    npc = NPCFactory()
    with pytest.raises(ValidationError, match="patience"):
        services.npc_update_template(npc=npc, template={**npc.behavior_template, "patience": 3},
                                     expected_token=None)


def test_restore_makes_an_old_version_current_as_a_new_version(admin_user):
    npc = NPCFactory(personality="aggressive")
    original = dict(npc.behavior_template)
    npc = services.npc_update_template(npc=npc, template={**original, "aggression": 0.1}, expected_token=None)
    first = NPCTemplateHistory.objects.get(npc=npc, version=2)
    npc = services.npc_update_template(npc=npc, template={**original, "aggression": 0.2}, expected_token=None)
    restored = services.npc_restore_template(npc=npc, history=first, by_user=admin_user)
    assert restored.version == 4 and restored.behavior_template["aggression"] == 0.1
    assert NPCTemplateHistory.objects.filter(npc=npc).count() == 3


def test_clone_and_preset(admin_user):
    source = NPCFactory(personality="diplomat", llm_temperature=1.3)
    clone = services.npc_clone(source=source, name="Twin", by_user=admin_user)
    assert clone.pk != source.pk and clone.uuid != source.uuid
    assert clone.behavior_template == source.behavior_template and clone.llm_temperature == 1.3
    assert clone.template_history.get().reason.startswith("cloned from")
    with pytest.raises(ValidationError, match="name already exists"):
        services.npc_clone(source=source, name="Twin")
    made = services.npc_create_from_preset(name="Fresh", tribe="Gauls", personality="assassin", by_user=admin_user)
    assert made.behavior_template == PERSONALITY_PRESETS["assassin"]
    made.behavior_template["goals"].append("x")
    assert "x" not in PERSONALITY_PRESETS["assassin"]["goals"]  # presets are copied, never shared


def test_delete_preview_counts_database_cascades_and_deletes():
    npc = npc_with_history(rows=3)
    preview = services.npc_delete_preview(npc=npc)
    counts = {label: count for label, _, count in preview.cascades}
    assert counts["memories"] == 3 and counts["decisions"] == 3 and counts["world states"] == 2
    assert counts["relationships"] == 3 and counts["battles"] == 3 and counts["trades"] == 3
    assert preview.can_delete
    services.npc_delete(npc=npc)
    assert not NPC.objects.filter(pk=npc.pk).exists()
    assert not NPCMemory.objects.filter(npc_id=npc.pk).exists()


def test_delete_refused_for_alliance_leader_and_message_sender():
    leader = NPCFactory()
    alliance = NPCAllianceFactory(npc_leader=leader)
    sender = NPCFactory()
    NPCMessageFactory(from_npc=sender)
    for npc in (leader, sender):
        with pytest.raises(services.NPCDeleteRefused) as refused:
            services.npc_delete(npc=npc)
        assert refused.value.preview.blockers
        assert NPC.objects.filter(pk=npc.pk).exists()
    successor = NPCFactory()
    services.alliance_hand_over_leadership(alliance=alliance, new_leader=successor)
    assert NPCAlliance.objects.get(pk=alliance.pk).npc_leader == successor
    services.npc_delete(npc=leader)


def test_relationships_set_type():
    npc = npc_with_history(rows=3)
    ids = list(npc.relationships.values_list("pk", flat=True))
    assert services.relationships_set_type(relationship_ids=ids, relationship_type="ally") == 3
    assert services.relationships_set_type(relationship_ids=ids, relationship_type="ally") == 0
    with pytest.raises(ValidationError):
        services.relationships_set_type(relationship_ids=ids, relationship_type="friend")
