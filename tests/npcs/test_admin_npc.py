"""The NPC console: list, filters, edit with concurrency, history, bulk actions, delete preview, pages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from npcs import services
from npcs.models import NPC, NPCTemplateHistory
from npcs.selectors import npc_edit_token
from tests.factories.console import npc_with_history
from tests.factories.npcs import NPCAllianceFactory, NPCFactory, NPCMessageFactory, NPCWorldStateFactory
from tests.npcs.conftest import full_counts

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:npcs_npc_changelist")


def _npcs(n):
    for _ in range(n):
        npc = NPCFactory()
        NPCWorldStateFactory(npc=npc, world_id="testworld")
        NPCWorldStateFactory(npc=npc, world_id="demo")


@pytest.mark.parametrize("rows", [10, 20])
def test_changelist_queries_do_not_grow_with_rows(admin_client, django_assert_max_num_queries, rows):
    _npcs(rows)
    with django_assert_max_num_queries(8) as captured:
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.content.count(b'class="action-select"') == rows
    assert not full_counts([q["sql"] for q in captured.captured_queries])


def test_changelist_shows_strategy_per_world_and_status(admin_client):
    npc = NPCFactory(name="Ragnar", paused=True)
    NPCWorldStateFactory(npc=npc, world_id="demo", current_strategy="military")
    html = admin_client.get(CHANGELIST).content.decode()
    assert "demo: <b>military</b>" in html and "npc-badge paused" in html


def test_search_by_name_or_uuid(admin_client):
    target, other = NPCFactory(name="Boudicca"), NPCFactory(name="Caesar")
    for term in ("oudic", str(target.uuid)):
        html = admin_client.get(CHANGELIST, {"q": term}).content.decode()
        assert "Boudicca" in html and "Caesar" not in html, term
    assert other


def test_filters_idle_and_world(admin_client):
    idle, busy = NPCFactory(name="Sleepy"), NPCFactory(name="Busy")
    NPC.objects.filter(pk=idle.pk).update(last_active=timezone.now() - datetime.timedelta(hours=30))
    NPCWorldStateFactory(npc=busy, world_id="demo")
    html = admin_client.get(CHANGELIST, {"idle_hours": "24"}).content.decode()
    assert "Sleepy" in html and "Busy" not in html
    html = admin_client.get(CHANGELIST, {"world": "demo"}).content.decode()
    assert "Busy" in html and "Sleepy" not in html


def test_one_idle_rule_for_the_filter_and_the_home_page_count(db):
    from npcs.selectors import console_dashboard_counts

    long_ago = timezone.now() - datetime.timedelta(hours=30)
    idle = NPCFactory()
    paused, inactive, busy = NPCFactory(paused=True), NPCFactory(active=False), NPCFactory()
    NPC.objects.filter(pk__in=[idle.pk, paused.pk, inactive.pk]).update(last_active=long_ago)
    mine = NPC.objects.filter(pk__in=[idle.pk, paused.pk, inactive.pk, busy.pk])
    assert list(mine.idle(hours=24)) == [idle] and list(mine.idle(hours=31)) == []
    assert console_dashboard_counts(idle_hours=24)["idle_npcs"] == NPC.objects.idle(hours=24).count() >= 1
    with pytest.raises(OverflowError):
        NPC.objects.idle(hours=1e20)


def _form_data(admin_client, npc, **changes):
    """The change form's current values as a browser would post them, with `changes` applied."""
    html = admin_client.get(reverse("admin:npcs_npc_change", args=[npc.pk])).content.decode()
    token = re.search(r'name="edit_token" value="([^"]+)"', html).group(1)
    data = {
        "name": npc.name, "tribe": npc.tribe, "personality": npc.personality, "active": "on",
        "llm_temperature": npc.llm_temperature, "decision_cache_ttl": npc.decision_cache_ttl,
        "strategic_update_frequency": npc.strategic_update_frequency, "notes": "", "edit_token": token,
        "building_priority": "\n".join(npc.behavior_template.get("building_priority", [])),
        "goals": "\n".join(npc.behavior_template.get("goals", [])),
        "extra_template": "{}",
    }
    for key in ("aggression", "economy", "diplomacy", "risk_tolerance", "patience", "adaptability"):
        data[key] = npc.behavior_template[key]
    data.update(changes)
    return data


def test_edit_template_shows_error_next_to_field_then_saves_new_version(admin_client, admin_user):
    npc = NPCFactory(personality="balanced", behavior_template={
        "aggression": 0.5, "economy": 0.5, "diplomacy": 0.5, "risk_tolerance": 0.5, "patience": 0.5,
        "adaptability": 0.5, "building_priority": ["warehouse"], "goals": ["grow"], "custom_flag": {"x": 1}})
    url = reverse("admin:npcs_npc_change", args=[npc.pk])
    form = admin_client.get(url).content.decode()
    assert 'type="range"' in form and "custom_flag" in form and "seconds" in form

    bad = _form_data(admin_client, npc, aggression="1.5", extra_template='{"custom_flag": {"x": 1}}')
    response = admin_client.post(url, bad)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "aggression" in errors and "less than or equal to 1" in errors["aggression"][0]

    good = _form_data(admin_client, npc, aggression="0.8", goals="grow\nconquer",
                      extra_template='{"custom_flag": {"x": 1}}')
    response = admin_client.post(url, good)
    assert response.status_code == 302, response.context["adminform"].form.errors
    npc.refresh_from_db()
    assert npc.version == 2 and npc.behavior_template["aggression"] == 0.8
    assert npc.behavior_template["goals"] == ["grow", "conquer"]
    assert npc.behavior_template["custom_flag"] == {"x": 1}  # unknown keys are never dropped
    entry = NPCTemplateHistory.objects.get(npc=npc)
    assert entry.changed_by == admin_user and ("aggression", 0.5, 0.8) in entry.diff()


def test_unknown_template_keys_survive_a_save_that_does_not_touch_them(admin_client):
    npc = NPCFactory(behavior_template={**NPCFactory.build().behavior_template, "scouting": 0.4})
    data = _form_data(admin_client, npc, notes="hello")
    data.pop("extra_template")  # as if the raw JSON box were left alone and not posted
    data["extra_template"] = '{"scouting": 0.4}'
    assert admin_client.post(reverse("admin:npcs_npc_change", args=[npc.pk]), data).status_code == 302
    npc.refresh_from_db()
    assert npc.behavior_template["scouting"] == 0.4 and npc.version == 1


def test_conflicting_edit_is_refused_with_current_values(admin_client):
    npc = NPCFactory(llm_temperature=0.7)
    url = reverse("admin:npcs_npc_change", args=[npc.pk])
    mine = _form_data(admin_client, npc, llm_temperature="1.5")
    # Someone else saves first.
    services.npc_update(npc=npc, data={"llm_temperature": 0.3}, expected_token=npc_edit_token(npc))
    response = admin_client.post(url, mine)
    assert response.status_code == 200
    html = response.content.decode()
    assert "changed this NPC" in html and "NOT saved" in html
    assert "<b>llm temperature</b>: 0.7 → 0.3" in html  # old → new, per field
    assert 'value="1.5"' in html  # the game master's input is kept
    npc.refresh_from_db()
    assert npc.llm_temperature == 0.3
    # The refreshed token lets the game master save deliberately after reviewing.
    token = re.search(r'name="edit_token" value="([^"]+)"', html).group(1)
    assert admin_client.post(url, {**mine, "edit_token": token}).status_code == 302
    npc.refresh_from_db()
    assert npc.llm_temperature == 1.5


def test_bulk_pause_confirms_how_many_change(admin_client):
    a, b, c = NPCFactory(), NPCFactory(paused=True), NPCFactory()
    data = {"action": "pause_npcs", "_selected_action": [a.pk, b.pk, c.pk]}
    response = admin_client.post(CHANGELIST, data)
    assert response.status_code == 200
    assert "2 of the 3 selected NPC(s) will be paused; 1 already are." in response.content.decode()
    assert NPC.objects.filter(paused=True).count() == 1
    response = admin_client.post(CHANGELIST, {**data, "post": "yes"}, follow=True)
    assert "2 NPC(s) paused." in response.content.decode()
    assert NPC.objects.filter(paused=True).count() == 3


def test_delete_preview_lists_cascades_and_deletes(admin_client):
    npc = npc_with_history(rows=2)
    url = reverse("admin:npcs_npc_delete", args=[npc.pk])
    html = admin_client.get(url).content.decode()
    assert "2 memories" in html and "2 decisions" in html and "2 world states" in html
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302 and not NPC.objects.filter(pk=npc.pk).exists()


def test_delete_of_protected_npc_offers_deactivation_and_never_500s(admin_client):
    npc = NPCFactory()
    alliance = NPCAllianceFactory(npc_leader=npc)
    NPCMessageFactory(from_npc=npc)
    url = reverse("admin:npcs_npc_delete", args=[npc.pk])
    html = admin_client.get(url).content.decode()
    assert "will refuse" in html and "leads 1 alliance" in html and "sent 1 message" in html
    assert reverse("admin:npcs_npcalliance_change", args=[alliance.pk]) in html
    assert "Deactivate" in html
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200 and NPC.objects.filter(pk=npc.pk).exists()
    response = admin_client.post(reverse("admin:npcs_npc_deactivate", args=[npc.pk]))
    assert response.status_code == 302
    npc.refresh_from_db()
    assert npc.active is False


@pytest.mark.django_db(databases="__all__")  # the page also reads the NPC's villages in every world
def test_npc_page_brings_everything_together(admin_client, django_assert_max_num_queries):
    npc = npc_with_history(rows=3, messages=2)
    NPCAllianceFactory(npc_leader=npc)
    with django_assert_max_num_queries(18):  # + the players and alliances named (npcs.selectors.people_named)
        response = admin_client.get(reverse("admin:npcs_npc_overview", args=[npc.pk]))
    html = response.content.decode()
    for section in ("world-states", "villages", "relationships", "alliances", "memories", "decisions", "battles",
                    "trades", "messages"):
        assert f'id="{section}"' in html
    assert f"{reverse('admin:npcs_npcmemory_changelist')}?npc={npc.pk}" in html
    # The filtered list behind the link shows only this NPC's rows.
    other = npc_with_history(rows=1)
    listing = admin_client.get(reverse("admin:npcs_npcmemory_changelist"), {"npc": npc.pk})
    assert len(set(re.findall(rb"npcmemory/(\d+)/change/", listing.content))) == 3 and other


def test_template_history_and_restore(admin_client):
    npc = NPCFactory(personality="economic")
    npc = services.npc_update_template(npc=npc, template={**npc.behavior_template, "economy": 0.1},
                                       expected_token=None)
    entry = NPCTemplateHistory.objects.get(npc=npc)
    services.npc_update_template(npc=npc, template={**npc.behavior_template, "economy": 0.3}, expected_token=None)
    html = admin_client.get(reverse("admin:npcs_npc_template_history", args=[npc.pk])).content.decode()
    assert "v2" in html and "v3" in html and "admin" not in html.split("template-history")[1][:0]
    restore = reverse("admin:npcs_npc_template_restore", args=[npc.pk, entry.pk])
    assert "After restore" in admin_client.get(restore).content.decode()
    assert admin_client.post(restore).status_code == 302
    npc.refresh_from_db()
    assert npc.version == 4 and npc.behavior_template["economy"] == 0.1


def test_clone_and_create_from_preset_pages(admin_client):
    npc = NPCFactory(name="Original")
    response = admin_client.post(reverse("admin:npcs_npc_clone", args=[npc.pk]), {"name": "Original"})
    assert "already exists" in response.content.decode()
    response = admin_client.post(reverse("admin:npcs_npc_clone", args=[npc.pk]), {"name": "Copy"})
    assert response.status_code == 302 and NPC.objects.get(name="Copy").behavior_template == npc.behavior_template
    response = admin_client.post(reverse("admin:npcs_npc_add_from_preset"),
                                 {"name": "Newbie", "tribe": "Romans", "personality": "economic"})
    assert response.status_code == 302 and NPC.objects.get(name="Newbie").behavior_template["economy"] == 0.9


def test_add_form_starts_from_a_preset_and_records_version_one(admin_client):
    url = reverse("admin:npcs_npc_add")
    assert admin_client.get(url, {"personality": "aggressive"}).status_code == 200
    data = {"name": "Added", "tribe": "Teutons", "personality": "aggressive", "active": "on",
            "llm_temperature": "0.7", "decision_cache_ttl": "3600", "strategic_update_frequency": "86400",
            "aggression": "0.9", "economy": "0.3", "diplomacy": "0.2", "risk_tolerance": "0.8", "patience": "0.2",
            "adaptability": "0.7", "building_priority": "barracks", "goals": "conquer", "extra_template": ""}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    npc = NPC.objects.get(name="Added")
    assert npc.template_history.get().version == 1


def test_restore_the_template_the_engine_wrote_before_the_first_console_change(admin_client):
    npc = NPCFactory(personality="diplomat")
    original = dict(npc.behavior_template)
    services.npc_update_template(npc=npc, template={**original, "diplomacy": 0.1}, expected_token=None)
    entry = NPCTemplateHistory.objects.get(npc=npc)
    html = admin_client.get(reverse("admin:npcs_npc_template_history", args=[npc.pk])).content.decode()
    assert "Restore the template before" in html
    url = reverse("admin:npcs_npc_template_restore", args=[npc.pk, entry.pk])
    assert "before version 2" in admin_client.get(url, {"before": "1"}).content.decode()
    assert admin_client.post(url, {"before": "1"}).status_code == 302
    npc.refresh_from_db()
    assert npc.behavior_template == original and npc.version == 3


def test_an_analyst_with_view_permission_sees_the_templates_weights_lists_and_extra_keys(client, django_user_model):
    from django.contrib.auth.models import Group

    from npcadmin.access import roles_sync

    roles_sync()
    analyst = django_user_model.objects.create_user("ana", password="analyst-pass-123", is_staff=True)
    analyst.groups.add(Group.objects.get(name="analyst"))
    npc = NPCFactory(behavior_template={"aggression": 0.88, "economy": 0.25, "diplomacy": 0.5, "risk_tolerance": 0.1,
                                        "patience": 0.7, "adaptability": 0.3, "building_priority": ["barracks", "wall"],
                                        "goals": ["conquer"], "secret_sauce": 3})
    client.force_login(analyst)
    response = client.get(reverse("admin:npcs_npc_change", args=[npc.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="aggression"' not in html  # read-only: no editable input
    assert re.search(r'<input type="range"[^>]*value="0.88" disabled', html)
    assert html.count("npc-weight-readonly") == 6
    assert "<li>barracks</li><li>wall</li>" in html and "<li>conquer</li>" in html
    assert "secret_sauce" in html
    readonly = re.findall(r'<div class="readonly">(.*?)</div>', html, re.S)
    assert "None" not in [r.strip() for r in readonly], readonly
