"""Game-master pages of the worlds: choose a world, list NPC villages, edit a configuration, read builds."""

import contextlib
import datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories.npcs import NPCWorldStateFactory
from tests.factories.worlds import NPCBuildQueueHistoryFactory, NPCVillageConfigFactory
from worlds.models import NPCVillageConfig
from worlds.services import version_token

pytestmark = pytest.mark.django_db(databases="__all__")


@contextlib.contextmanager
def queries_in(*aliases):
    """Capture the queries of several databases at once: yields {alias: context}."""
    with contextlib.ExitStack() as stack:
        yield {a: stack.enter_context(CaptureQueriesContext(connections[a])) for a in aliases}


def _villages(world: str, count: int) -> list[NPCVillageConfig]:
    configs = NPCVillageConfigFactory.create_batch(count, world=world)
    for config in configs:
        NPCBuildQueueHistoryFactory.create_batch(2, world=world, config=config)
    return configs


def _form_data(config, **overrides) -> dict:
    data = {
        "edit_token": version_token(config), "village_type": "military", "build_template_name": "offensive_rush",
        "current_build_phase": "mid", "resource_priority_wood": "3", "resource_priority_clay": "4",
        "resource_priority_iron": "1", "resource_priority_wheat": "2", "warehouse_reserve": "7000",
        "auto_build_enabled": "on", "troop_training_enabled": "on", "auto_raid_enabled": "on",
        "build_queue_strategy": '{"max_queue": 3}', "training_queue_strategy": '{"units": ["axeman"]}',
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_pages_need_a_staff_login(client, django_user_model):
    url = reverse("worlds:village_list", kwargs={"world_id": "demo"})
    assert client.get(url).status_code == 302
    django_user_model.objects.create_user("player", password="pw-123456789")
    client.login(username="player", password="pw-123456789")
    for name, kwargs in [("worlds:index", {}), ("worlds:village_list", {"world_id": "demo"}),
                         ("worlds:build_history", {"world_id": "demo"}), ("worlds:npc_villages", {"npc_id": 1})]:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_world_index_lists_every_world(admin_client):
    _villages("demo", 2)
    response = admin_client.get(reverse("worlds:index"))
    assert response.status_code == 200
    cards = {c["world_id"]: c for c in response.context["cards"]}
    assert cards["demo"]["npc_villages"] == 2 and cards["testworld"]["npc_villages"] == 0


def test_unknown_world_is_404(admin_client):
    assert admin_client.get("/worlds/atlantis/").status_code == 404


def test_village_list_shows_only_the_chosen_world(admin_client):
    demo = _villages("demo", 2)
    _villages("testworld", 1)
    response = admin_client.get(reverse("worlds:village_list", kwargs={"world_id": "demo"}))
    assert response.status_code == 200
    assert {c.pk for c, _ in response.context["rows"]} == {c.pk for c in demo}
    names = {name for _, name in response.context["rows"]}
    assert None not in names  # NPC names came from the global database
    assert "barracks" in response.content.decode()


def test_village_list_filters_by_npc_and_type(admin_client):
    first, second = _villages("demo", 2)
    NPCVillageConfig.objects.in_world("demo").filter(pk=second.pk).update(village_type="farming")
    url = reverse("worlds:village_list", kwargs={"world_id": "demo"})
    rows = admin_client.get(url, {"npc": first.npc_id}).context["rows"]
    assert [c.pk for c, _ in rows] == [first.pk]
    rows = admin_client.get(url, {"village_type": "farming"}).context["rows"]
    assert [c.pk for c, _ in rows] == [second.pk]


@pytest.mark.parametrize(("name", "kwargs"), [("worlds:village_list", {}), ("worlds:build_history", {})])
def test_list_pages_use_the_same_queries_for_n_and_2n_rows(admin_client, name, kwargs):
    url = reverse(name, kwargs={"world_id": "demo", **kwargs})
    counts = []
    for batch in (5, 5):
        _villages("demo", batch)
        admin_client.get(url)  # warm the session
        with queries_in("default", "world_demo") as captured:
            assert admin_client.get(url).status_code == 200
        counts.append({alias: len(c) for alias, c in captured.items()})
    assert counts[0] == counts[1]
    assert counts[0]["world_demo"] <= 3 and counts[0]["default"] <= 4


def test_edit_a_village_configuration(admin_client):
    config = NPCVillageConfigFactory(world="demo")
    url = reverse("worlds:village_config", kwargs={"world_id": "demo", "village_id": config.pk})
    page = admin_client.get(url)
    assert page.status_code == 200 and 'name="resource_priority_wood"' in page.content.decode()
    response = admin_client.post(url, _form_data(config))
    assert response.status_code == 302
    stored = NPCVillageConfig.objects.in_world("demo").get(pk=config.pk)
    assert stored.village_type == "military" and stored.warehouse_reserve == 7000
    assert stored.resource_priority == {"wood": 3, "clay": 4, "iron": 1, "wheat": 2}
    assert stored.build_queue_strategy == {"max_queue": 3} and stored.auto_raid_enabled is True
    assert "Saved the NPC configuration" in admin_client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"resource_priority_clay": "3"}, "resource_priority", "two resources cannot share a rank"),
    ({"resource_priority_clay": ""}, "resource_priority", "Give every resource a rank, or none at all"),
    ({"build_queue_strategy": "{max_queue: 3"}, "build_queue_strategy", "Enter valid JSON"),
    ({"training_queue_strategy": "[1, 2]"}, "training_queue_strategy", "Must be a JSON object"),
    ({"village_type": "pirate"}, "village_type", "Select a valid choice"),
    ({"warehouse_reserve": "-5"}, "warehouse_reserve", "cannot be negative"),
])
def test_invalid_input_is_explained_next_to_the_field(admin_client, overrides, field, message):
    config = NPCVillageConfigFactory(world="demo")
    url = reverse("worlds:village_config", kwargs={"world_id": "demo", "village_id": config.pk})
    response = admin_client.post(url, _form_data(config, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="id_{field}' in response.content.decode() and "errorlist" in response.content.decode()
    assert NPCVillageConfig.objects.in_world("demo").get(pk=config.pk).warehouse_reserve == 5000


def test_clearing_all_ranks_clears_the_priority(admin_client):
    config = NPCVillageConfigFactory(world="demo")
    url = reverse("worlds:village_config", kwargs={"world_id": "demo", "village_id": config.pk})
    blanks = {f"resource_priority_{r}": "" for r in ("wood", "clay", "iron", "wheat")}
    assert admin_client.post(url, _form_data(config, **blanks, build_queue_strategy="")).status_code == 302
    stored = NPCVillageConfig.objects.in_world("demo").get(pk=config.pk)
    assert stored.resource_priority is None and stored.build_queue_strategy is None


def test_a_concurrent_edit_is_refused_with_the_current_values(admin_client):
    config = NPCVillageConfigFactory(world="demo")
    url = reverse("worlds:village_config", kwargs={"world_id": "demo", "village_id": config.pk})
    assert admin_client.post(url, _form_data(config, warehouse_reserve="1111")).status_code == 302
    response = admin_client.post(url, _form_data(config, warehouse_reserve="2222"))  # the old version
    assert response.status_code == 200
    html = response.content.decode()
    assert "changed this village configuration" in html and "NOT saved" in html
    assert "<b>warehouse reserve</b>: 5000 → 1111" in html  # old → new, per field
    assert response.context["form"]["warehouse_reserve"].value() == "2222"  # the person's input is kept
    assert NPCVillageConfig.objects.in_world("demo").get(pk=config.pk).warehouse_reserve == 1111


def test_staff_without_permission_reads_but_cannot_change(client, django_user_model):
    config = NPCVillageConfigFactory(world="demo")
    from tests.factories.access import user_in_role

    client.force_login(user_in_role("analyst"))
    url = reverse("worlds:village_config", kwargs={"world_id": "demo", "village_id": config.pk})
    page = client.get(url)
    assert page.status_code == 200 and "not change it" in page.content.decode() and "disabled" in page.content.decode()
    assert client.post(url, _form_data(config)).status_code == 403


def test_a_village_without_npc_configuration_is_404(admin_client):
    assert admin_client.get(reverse("worlds:village_config", kwargs={"world_id": "demo", "village_id": 999999})
                            ).status_code == 404


def test_build_history_filters(admin_client):
    config = NPCVillageConfigFactory(world="demo")
    other = NPCVillageConfigFactory(world="demo")
    now = timezone.now()
    old = NPCBuildQueueHistoryFactory(world="demo", config=config, building_name="stable",
                                      queued_at=now - datetime.timedelta(days=5))
    new = NPCBuildQueueHistoryFactory(world="demo", config=config, building_name="barracks",
                                      queued_at=now - datetime.timedelta(hours=2))
    running = NPCBuildQueueHistoryFactory(world="demo", config=other, building_name="barracks", completed_at=None)
    url = reverse("worlds:build_history", kwargs={"world_id": "demo"})

    def ids(**params):
        response = admin_client.get(url, params)
        assert response.status_code == 200
        return [b.pk for b, _ in response.context["rows"]]

    assert ids() == [running.pk, new.pk, old.pk]  # running first, then newest completed
    assert ids(building="barracks") == [running.pk, new.pk]
    assert ids(npc=config.npc_id) == [new.pk, old.pk]
    assert ids(village=other.pk) == [running.pk]
    since = (now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert ids(completed_from=since) == [new.pk]
    until = (now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert ids(completed_to=until) == [old.pk]
    response = admin_client.get(url, {"completed_from": since, "completed_to": until})
    assert "must be after its start" in response.content.decode()


def test_build_history_pages_without_counting(admin_client, monkeypatch):
    monkeypatch.setattr("worlds.views.BUILDS_PER_PAGE", 2)
    config = NPCVillageConfigFactory(world="demo")
    NPCBuildQueueHistoryFactory.create_batch(3, world="demo", config=config)
    url = reverse("worlds:build_history", kwargs={"world_id": "demo"})
    first = admin_client.get(url, {"building": "barracks"})
    assert len(first.context["rows"]) == 2 and first.context["page"].has_next
    assert "building=barracks&amp;page=2" in first.content.decode()
    second = admin_client.get(url, {"building": "barracks", "page": 2})
    assert len(second.context["rows"]) == 1 and not second.context["page"].has_next
    assert admin_client.get(url, {"page": "bogus"}).status_code == 200


def test_npc_page_shows_villages_in_every_world(admin_client):
    demo = NPCVillageConfigFactory(world="demo")
    state = NPCWorldStateFactory(npc_id=demo.npc_id, world_id="testworld")
    NPCVillageConfigFactory(world="testworld", village__player_id=state.player_id)
    response = admin_client.get(reverse("worlds:npc_villages", kwargs={"npc_id": demo.npc_id}))
    assert response.status_code == 200
    entries = {e.world_id: e for e in response.context["world_villages"]}
    assert set(entries) == {"demo", "testworld"}
    assert [v.pk for v in entries["demo"].villages] == [demo.pk]
    assert len(entries["testworld"].villages) == 1 and not entries["testworld"].error
    assert admin_client.get(reverse("worlds:npc_villages", kwargs={"npc_id": 987654})).status_code == 404


def test_a_config_whose_npc_was_deleted_explains_why_it_cannot_be_saved(admin_client):
    config = NPCVillageConfigFactory(world="demo", npc_id=999_123)
    url = reverse("worlds:village_config", kwargs={"world_id": "demo", "village_id": config.pk})
    page = admin_client.get(url)
    assert page.status_code == 200 and "no longer exists in the global database" in page.content.decode()
    response = admin_client.post(url, _form_data(config))
    assert response.status_code == 200
    assert "npc_id: There is no NPC with id 999123" in response.content.decode()
