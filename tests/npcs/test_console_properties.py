"""Property: junk in any console form or JSON editor never crashes a page and never half-saves a row.

Covers the NPC add and change forms (behaviour template fields, the raw JSON box, LLM
settings), relationships (treaty rows, the read-only intelligence JSON), an alliance's
diplomatic stance, a memory's importance and expiry (console and the mind's adjust page),
a message's outcome, and the mind's recall filters (GET).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from npcs.forms import AllianceForm, RelationshipForm
from npcs.models import NPC, NPCAlliance, NPCMemory, NPCMessage, NPCRelationship, NPCWorldState
from npcs.selectors import npc_edit_token
from tests.factories.npcs import (
    NPCAllianceFactory,
    NPCFactory,
    NPCMemoryFactory,
    NPCMessageFactory,
    NPCRelationshipFactory,
    NPCWorldStateFactory,
)
from tests.junk import (
    FORM_SETTINGS,
    HUGE,
    apply,
    assert_no_500_and_no_partial_write,
    changelist_params,
    junk_for,
    junk_text,
)

pytestmark = pytest.mark.django_db

WEIGHTS = ("aggression", "economy", "diplomacy", "risk_tolerance", "patience", "adaptability")


def _row(model, pk):
    return model.objects.filter(pk=pk).values().first()


def _npc_data(npc: NPC) -> dict:
    data = {
        "name": npc.name, "tribe": npc.tribe, "personality": npc.personality, "active": "on",
        "llm_temperature": npc.llm_temperature, "decision_cache_ttl": npc.decision_cache_ttl,
        "strategic_update_frequency": npc.strategic_update_frequency, "notes": "",
        "edit_token": npc_edit_token(npc), "building_priority": "main_building\nwarehouse",
        "goals": "grow", "extra_template": "{}",
    }
    data.update({key: npc.behavior_template.get(key, 0.5) for key in WEIGHTS})
    return data


NPC_FIELDS = ("name", "tribe", "personality", "active", "paused", "llm_temperature", "decision_cache_ttl",
              "strategic_update_frequency", "notes", "edit_token", "building_priority", "goals",
              "extra_template", *WEIGHTS)


@pytest.fixture
def npc():
    return NPCFactory(name="Property NPC")


@FORM_SETTINGS
@given(junk=junk_for(NPC_FIELDS))
def test_npc_change_form(admin_client, npc, junk):
    url = reverse("admin:npcs_npc_change", args=[npc.pk])
    assert_no_500_and_no_partial_write(lambda: admin_client.post(url, apply(_npc_data(npc), junk)),
                                       lambda: _row(NPC, npc.pk))


@FORM_SETTINGS
@given(junk=junk_for(NPC_FIELDS), extra=st.dictionaries(st.text(max_size=10), junk_text, max_size=3))
def test_npc_add_form(admin_client, npc, junk, extra):
    data = {**_npc_data(npc), "name": "Brand new", "edit_token": ""}
    url = reverse("admin:npcs_npc_add")
    assert_no_500_and_no_partial_write(lambda: admin_client.post(url, {**extra, **apply(data, junk)}),
                                       lambda: sorted(NPC.objects.values_list("pk", "name", "version")))


REL_FIELDS = ("npc", "world_id", "target_player_id", "relationship_type", "trust_score", "total_interactions",
              "last_interaction_type", "last_interaction_at", "battles_won_against", "resources_raided_from",
              "prediction_confidence", "predicted_at", "known_villages", "treaties_active-TOTAL",
              *(f"treaties_active-{i}-{part}" for i in (0, 1) for part in ("type", "start", "end", "terms",
                                                                           "extra", "DELETE")))


@FORM_SETTINGS
@given(junk=junk_for(REL_FIELDS))
def test_relationship_form(admin_client, junk):
    rel = NPCRelationshipFactory(known_villages=[{"x": 1, "y": 2}])
    base = {"edit_token": RelationshipForm.token_for(rel),
            "npc": rel.npc_id, "world_id": rel.world_id, "target_player_id": rel.target_player_id,
            "relationship_type": "neutral", "trust_score": 3, "total_interactions": 0, "battles_won_against": 0,
            "battles_lost_against": 0, "resources_raided_from": 0, "resources_lost_to": 0, "messages_sent": 0,
            "messages_received": 0, "treaties_active-TOTAL": 2,
            "treaties_active-0-type": "non_aggression", "treaties_active-0-start": "2026-01-01",
            "treaties_active-1-type": "trade", "treaties_active-1-start": "2026-02-01",
            "treaties_active-1-end": "2026-03-01"}
    url = reverse("admin:npcs_npcrelationship_change", args=[rel.pk])
    response = assert_no_500_and_no_partial_write(lambda: admin_client.post(url, apply(base, junk)),
                                                  lambda: _row(NPCRelationship, rel.pk))
    assert response.status_code in (200, 302)


STORABLE = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))  # what jsonb can hold


@FORM_SETTINGS
@given(stored=st.recursive(st.none() | st.booleans() | st.integers() | st.text(STORABLE, max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(STORABLE, max_size=5),
                                                                                        inner, max_size=3),
                           max_leaves=6)
       .filter(lambda value: value is not None))  # SQL NULL is refused by the schema; JSON null is fine
def test_relationship_page_shows_whatever_json_the_engine_stored(admin_client, stored):
    rel = NPCRelationshipFactory()
    NPCRelationship.objects.filter(pk=rel.pk).update(known_villages=stored, activity_pattern=stored,
                                                     known_army_composition=stored)
    assert admin_client.get(reverse("admin:npcs_npcrelationship_change", args=[rel.pk])).status_code == 200
    assert admin_client.get(reverse("admin:npcs_npcrelationship_changelist")).status_code == 200


ALLIANCE_FIELDS = ("world_id", "alliance_id", "name", "tag", "npc_leader", "alliance_strategy", "total_members",
                   "npc_members", "total_rank", "allied_alliances", "enemy_alliances", "nap_alliances")


@FORM_SETTINGS
@given(junk=junk_for(ALLIANCE_FIELDS))
def test_alliance_stance(admin_client, junk):
    alliance = NPCAllianceFactory(npc_leader=NPCFactory(), diplomatic_stance={"allied_alliances": [3]})
    base = {"edit_token": AllianceForm.token_for(alliance),
            "world_id": alliance.world_id, "alliance_id": alliance.alliance_id, "name": alliance.name,
            "tag": alliance.tag, "npc_leader": alliance.npc_leader_id, "alliance_strategy": "",
            "total_members": 0, "npc_members": 0, "allied_alliances": "5, 6", "nap_alliances": "7"}
    url = reverse("admin:npcs_npcalliance_change", args=[alliance.pk])
    assert_no_500_and_no_partial_write(lambda: admin_client.post(url, apply(base, junk)),
                                       lambda: _row(NPCAlliance, alliance.pk))


@FORM_SETTINGS
@given(junk=junk_for(("importance", "expires_at", "expires_at_0", "expires_at_1", "memory_type", "npc")))
def test_memory_importance_and_expiry_in_the_console(admin_client, junk):
    memory = NPCMemoryFactory(importance=0.4)
    base = {"importance": "0.8", "expires_at_0": "2030-01-01", "expires_at_1": "12:00:00"}
    url = reverse("admin:npcs_npcmemory_change", args=[memory.pk])
    assert_no_500_and_no_partial_write(lambda: admin_client.post(url, apply(base, junk)),
                                       lambda: _row(NPCMemory, memory.pk))


@FORM_SETTINGS
@given(junk=junk_for(("importance", "expires_at", "reason", "next")))
def test_memory_adjust_page(admin_client, junk):
    memory = NPCMemoryFactory(importance=0.4)
    base = {"importance": "0.8", "expires_at": "2030-01-02T03:04", "reason": "rival"}
    url = reverse("mind:memory_adjust", args=[memory.pk])
    assert_no_500_and_no_partial_write(lambda: admin_client.post(url, apply(base, junk)),
                                       lambda: _row(NPCMemory, memory.pk))


@FORM_SETTINGS
@given(junk=junk_for(("response_received", "response_positive", "objective_achieved", "content")))
def test_message_outcome(admin_client, junk):
    message = NPCMessageFactory()
    base = {"response_received": "on", "response_positive": "true", "objective_achieved": "unknown"}
    url = reverse("admin:npcs_npcmessage_change", args=[message.pk])
    assert_no_500_and_no_partial_write(lambda: admin_client.post(url, apply(base, junk)),
                                       lambda: _row(NPCMessage, message.pk))


RECALL_PARAMS = ("situation", "world", "type", "player", "since", "until", "w_recency", "w_importance",
                 "w_emotion", "w_relevance", "decay", "half_life", "limit")


@FORM_SETTINGS
@given(params=junk_for(RECALL_PARAMS))
def test_memory_recall_filters(admin_client, npc, params):
    NPCMemoryFactory(npc=npc)
    url = reverse("mind:memory_recall", args=[npc.pk])
    response = admin_client.get(url, {k: v for k, v in params.items() if v is not None})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("field,value", [
    ("extra_template", '{"scouting": "\\u0000"}'), ("extra_template", '{"\\u0000": 1}'),
    ("extra_template", '{"s": "\\ud800"}'), ("building_priority", "barracks\x00\nwall"), ("goals", "a\x00"),
])
def test_template_boxes_refuse_what_postgresql_cannot_store(admin_client, npc, field, value):
    """jsonb holds no NUL character and no lone surrogate: the form says so instead of a 500."""
    url = reverse("admin:npcs_npc_change", args=[npc.pk])
    before = _row(NPC, npc.pk)
    response = admin_client.post(url, {**_npc_data(npc), field: value})
    assert response.status_code == 200 and field in response.context["adminform"].form.errors
    assert _row(NPC, npc.pk) == before


def test_treaty_extra_json_that_postgresql_cannot_store_is_refused(admin_client):
    rel = NPCRelationshipFactory()
    data = {"edit_token": RelationshipForm.token_for(rel),
            "npc": rel.npc_id, "world_id": rel.world_id, "target_player_id": rel.target_player_id,
            "relationship_type": "neutral", "trust_score": 3, "total_interactions": 0, "battles_won_against": 0,
            "battles_lost_against": 0, "resources_raided_from": 0, "resources_lost_to": 0, "messages_sent": 0,
            "messages_received": 0, "treaties_active-TOTAL": 1, "treaties_active-0-type": "trade",
            "treaties_active-0-start": "2026-01-01", "treaties_active-0-extra": '{"note": "\\u0000"}'}
    before = _row(NPCRelationship, rel.pk)
    response = admin_client.post(reverse("admin:npcs_npcrelationship_change", args=[rel.pk]), data)
    assert response.status_code == 200 and "treaties_active" in response.context["adminform"].form.errors
    assert _row(NPCRelationship, rel.pk) == before


@pytest.mark.parametrize("value", [" ", "abc", "1e3", "99999999999999999999999"])
def test_autocomplete_field_with_junk_shows_an_error(admin_client, value):
    """Django's autocomplete widget queried the raw value when re-rendering: ValueError, a 500."""
    alliance = NPCAllianceFactory(npc_leader=NPCFactory())
    data = {"edit_token": AllianceForm.token_for(alliance),
            "world_id": alliance.world_id, "alliance_id": alliance.alliance_id, "name": alliance.name,
            "tag": alliance.tag, "npc_leader": value, "alliance_strategy": "", "total_members": 0, "npc_members": 0}
    response = admin_client.post(reverse("admin:npcs_npcalliance_change", args=[alliance.pk]), data)
    assert response.status_code == 200 and "npc_leader" in response.context["adminform"].form.errors


def test_memory_adjust_next_that_is_not_a_path_redirects_there(admin_client):
    """`redirect(next)` tried "nan" as a URL name first: NoReverseMatch, a 500."""
    memory = NPCMemoryFactory(importance=0.4)
    response = admin_client.post(reverse("mind:memory_adjust", args=[memory.pk]), {"importance": "0.5", "next": "nan"})
    assert response.status_code == 302 and response.url == "nan"


TIMELINE_PARAMS = ("world", "type", "llm", "since", "until", "page", "npc", "q")


@FORM_SETTINGS
@given(params=junk_for(TIMELINE_PARAMS))
def test_decision_timeline_filters(admin_client, npc, params):
    query = {k: v for k, v in params.items() if v is not None}
    for url in (reverse("mind:decision_timeline", args=[npc.pk]), reverse("mind:decisions_overview")):
        assert admin_client.get(url, query).status_code in (200, 400), url


def _changelists():
    from django.contrib import admin

    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


CHANGELISTS = [model._meta.label_lower for model, _ in _changelists()]


@pytest.fixture
def superuser_request(admin_user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = admin_user
    return request


@pytest.mark.parametrize("label", CHANGELISTS)
@FORM_SETTINGS
@given(data=st.data())
def test_every_changelist_parameter_with_junk(admin_client, superuser_request, label, data):
    """Every GET parameter of every changelist in the admin (its filters, search, order, page),
    plus lookups no filter shows: 200, the admin's ?e=1, or 400. Never a 500."""
    model_admin = next(a for m, a in _changelists() if m._meta.label_lower == label)
    params = data.draw(junk_for(changelist_params(model_admin, superuser_request)))
    query = {k: v for k, v in params.items() if v is not None}
    app, model = label.split(".")
    response = admin_client.get(reverse(f"admin:{app}_{model}_changelist"), query)
    assert response.status_code in (200, 302, 400), response
    if response.status_code == 302:
        assert response.url.endswith("?e=1")


@pytest.mark.parametrize("label,query", [
    ("npcs.npc", {"tribe__exact": "\x00"}), ("npcs.npc", {"name__regex": "("}),
    ("npcs.npcdecision", {"llm_prompt__regex": "a"}), ("npcs.npcrelationship", {"target_player_id": HUGE}),
    ("npcs.npcmemory", {"player": HUGE}), ("npcs.npc", {"q": "\x00"}), ("auth.user", {"password__regex": "^pbk"}),
])
def test_junk_lookups_answer_400_not_500(admin_client, label, query):
    app, model = label.split(".")
    response = admin_client.get(reverse(f"admin:{app}_{model}_changelist"), query)
    assert response.status_code == 400


@pytest.mark.parametrize("label", ["npcs.npc", "npcs.npcdecision"])
def test_a_huge_page_number_is_the_last_page(admin_client, label):
    NPCFactory()
    app, model = label.split(".")
    assert admin_client.get(reverse(f"admin:{app}_{model}_changelist"), {"p": HUGE}).status_code == 200


def test_the_filters_shown_still_filter(admin_client):
    NPCFactory(tribe="Gauls", name="Gaul one")
    NPCFactory(tribe="Romans", name="Roman one")
    response = admin_client.get(reverse("admin:npcs_npc_changelist"), {"tribe__exact": "Gauls"})
    assert response.status_code == 200
    assert [n.name for n in response.context["cl"].result_list] == ["Gaul one"]


@pytest.mark.parametrize("hours", ["inf", "nan", "1e20", "-1e20", "abc"])
def test_idle_filter_with_hours_no_clock_can_hold(admin_client, hours):
    """`timedelta(hours=inf)` raised OverflowError (a 500); now the filter matches nothing."""
    NPCFactory()
    response = admin_client.get(reverse("admin:npcs_npc_changelist"), {"idle_hours": hours})
    assert response.status_code == 200 and not response.context["cl"].result_list


NPC_ACTIONS = ("pause_npcs", "resume_npcs", "activate_npcs", "deactivate_npcs", "delete_selected", "junk")


@FORM_SETTINGS
@given(action=st.sampled_from(NPC_ACTIONS), selected=st.lists(junk_text, max_size=3),
       extra=junk_for(("post", "index", "select_across", "reason", "confirm")))
def test_npc_bulk_actions_with_junk_selection(admin_client, npc, action, selected, extra):
    data = apply({"action": action, "_selected_action": [*selected, str(npc.pk)]}, extra)
    assert_no_500_and_no_partial_write(
        lambda: admin_client.post(reverse("admin:npcs_npc_changelist"), data),
        lambda: sorted(NPC.objects.values_list("pk", "active", "paused", "version")), ok=(200, 302))


@FORM_SETTINGS
@given(relationship_type=junk_text, selected=st.lists(junk_text, max_size=3))
def test_relationship_bulk_type_with_junk(admin_client, relationship_type, selected):
    rel = NPCRelationshipFactory(relationship_type="neutral")
    data = {"action": "set_relationship_type", "_selected_action": [*selected, str(rel.pk)], "post": "yes",
            "relationship_type": relationship_type}
    assert_no_500_and_no_partial_write(
        lambda: admin_client.post(reverse("admin:npcs_npcrelationship_changelist"), data),
        lambda: _row(NPCRelationship, rel.pk), ok=(302,))


@FORM_SETTINGS
@given(junk=junk_for(("name", "tribe", "personality")), page=st.sampled_from(["clone", "preset", "deactivate"]))
def test_clone_preset_and_deactivate_pages(admin_client, npc, junk, page):
    url = {"clone": reverse("admin:npcs_npc_clone", args=[npc.pk]),
           "preset": reverse("admin:npcs_npc_add_from_preset"),
           "deactivate": reverse("admin:npcs_npc_deactivate", args=[npc.pk])}[page]
    base = {"name": "A fresh name", "tribe": "Gauls", "personality": "balanced"}
    assert_no_500_and_no_partial_write(lambda: admin_client.post(url, apply(base, junk)),
                                       lambda: sorted(NPC.objects.values_list("pk", "name", "active", "version")))


@FORM_SETTINGS
@given(object_id=junk_text.filter(lambda s: s.strip() not in ("", ".", "..")))
def test_npc_pages_with_a_junk_object_id(admin_client, object_id):
    for suffix in ("change/", "overview/", "template-history/", "clone/", "delete/", "history/"):
        response = admin_client.get(f"/admin/npcs/npc/{quote(object_id, safe='')}/{suffix}")
        assert response.status_code in (200, 302, 404), (object_id, suffix)


def test_bulk_action_with_a_selection_that_is_not_a_key(admin_client, npc):
    """Django filtered `pk__in=["abc"]`: ValueError, a 500. Junk selects nothing; real ids still act."""
    url = reverse("admin:npcs_npc_changelist")
    response = admin_client.post(url, {"action": "pause_npcs", "_selected_action": ["abc", ""]}, follow=True)
    assert response.status_code == 200 and "Items must be selected" in response.content.decode()
    response = admin_client.post(url, {"action": "pause_npcs", "_selected_action": ["abc", str(npc.pk)]})
    assert response.status_code == 200 and "Pause selected NPCs?" in response.content.decode()  # confirm 1 NPC


STATE_FIELDS = ("npc", "world_id", "player_id", "rank", "total_population", "total_wood", "offensive_power",
                "production_rate_wheat", "current_strategy", "strategic_goal", "threat_level", "alliance_id",
                "alliance_role")


COUNTERS = ("total_population", "village_count", "total_wood", "total_clay", "total_iron", "total_wheat",
            "offensive_power", "defensive_power", "total_troops", "production_rate_wood", "production_rate_clay",
            "production_rate_iron", "production_rate_wheat")


@FORM_SETTINGS
@given(junk=junk_for(STATE_FIELDS))
def test_world_state_form(admin_client, junk):
    state = NPCWorldStateFactory()
    base = {"npc": state.npc_id, "world_id": state.world_id, "player_id": state.player_id, "rank": 3,
            "threat_level": 0.2, **dict.fromkeys(COUNTERS, 0)}
    url = reverse("admin:npcs_npcworldstate_change", args=[state.pk])
    assert_no_500_and_no_partial_write(lambda: admin_client.post(url, apply(base, junk)),
                                       lambda: _row(NPCWorldState, state.pk))


@pytest.mark.parametrize("value", ["2026-13-45", "2026-02-30", "2026-01-01T25:61"])
def test_date_range_filter_with_an_impossible_date(admin_client, value):
    """parse_date raised ValueError for a well-formed impossible date: a 500, now the admin's ?e=1."""
    response = admin_client.get(reverse("admin:npcs_npcmemory_changelist"), {"occurred_at__gte": value})
    assert response.status_code == 302 and response.url.endswith("?e=1")


def test_mind_pages_with_a_nul_in_the_world(admin_client, npc):
    """A requested world id is offered as a choice (links name worlds the NPC has no state in);
    one holding a NUL reached SQL: DataError, a 500. It is now an invalid choice."""
    for url in (reverse("mind:decision_timeline", args=[npc.pk]), reverse("mind:decisions_overview"),
                reverse("mind:memory_recall", args=[npc.pk])):
        assert admin_client.get(url, {"world": "demo\x00"}).status_code in (200, 400), url
