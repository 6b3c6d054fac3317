"""One world's database down, missing or unmigrated: that world's pages say so, nothing else breaks."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories.npcs import NPCWorldStateFactory
from tests.factories.worlds import NPCVillageConfigFactory
from worlds.selectors import villages_for_npc

pytestmark = [pytest.mark.django_db(databases="__all__", transaction=True), pytest.mark.faults]


@pytest.fixture
def npc_in_both_worlds():
    demo = NPCVillageConfigFactory(world="demo")
    state = NPCWorldStateFactory(npc_id=demo.npc_id, world_id="testworld")
    testworld = NPCVillageConfigFactory(world="testworld", village__player_id=state.player_id)
    return demo, testworld


def test_a_world_that_is_down(admin_client, world_down, npc_in_both_worlds):
    demo, testworld = npc_in_both_worlds
    with world_down("demo"):
        for url in ("/worlds/demo/", "/worlds/demo/builds/", f"/worlds/demo/villages/{demo.pk}/"):
            response = admin_client.get(url)
            assert response.status_code == 503, url
            page = response.content.decode()
            assert "This world's database is unavailable" in page and "cannot be reached" in page
            assert "/worlds/testworld/" in page  # the way out
        assert admin_client.get("/worlds/testworld/").status_code == 200
        assert admin_client.get(f"/worlds/testworld/villages/{testworld.pk}/").status_code == 200
        assert admin_client.get("/admin/").status_code == 200
        index = admin_client.get("/worlds/")
        assert index.status_code == 200
        cards = {c["world_id"]: c for c in index.context["cards"]}
        assert "cannot be reached" in cards["demo"]["error"] and cards["testworld"]["npc_villages"] == 1
        entries = {e.world_id: e for e in villages_for_npc(demo.npc_id)}
        assert "cannot be reached" in entries["demo"].error and entries["demo"].villages == []
        assert [v.pk for v in entries["testworld"].villages] == [testworld.pk]
        npc_page = admin_client.get(reverse("worlds:npc_villages", kwargs={"npc_id": demo.npc_id}))
        assert npc_page.status_code == 200 and "cannot be reached" in npc_page.content.decode()
    assert admin_client.get("/worlds/demo/").status_code == 200  # recovers by itself


def test_a_world_whose_database_does_not_exist(admin_client, world_missing):
    with world_missing("testworld"):
        response = admin_client.get("/worlds/testworld/")
        assert response.status_code == 503
        assert "does not exist" in response.content.decode()
        assert "manage.py migrate_all --world testworld" in response.content.decode()
        assert admin_client.get("/worlds/demo/").status_code == 200


def test_a_world_that_is_not_migrated(admin_client):
    call_command("migrate", "worlds", "zero", database="world_demo", verbosity=0)
    try:
        response = admin_client.get("/worlds/demo/")
        assert response.status_code == 503
        assert "is not migrated" in response.content.decode()
        assert admin_client.get("/worlds/testworld/").status_code == 200
    finally:
        call_command("migrate", "worlds", database="world_demo", verbosity=0)
    assert admin_client.get("/worlds/demo/").status_code == 200
