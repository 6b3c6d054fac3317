"""Reads that the pages build on: latest builds per village, NPC names, an NPC's villages."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tests.factories.npcs import NPCWorldStateFactory
from tests.factories.worlds import NPCBuildQueueHistoryFactory, NPCVillageConfigFactory, VillageFactory
from worlds.selectors import attach_recent_builds, npc_names, villages_for_npc

pytestmark = pytest.mark.django_db(databases="__all__")


def test_recent_builds_are_the_latest_three_per_village_running_first():
    config = NPCVillageConfigFactory(world="demo")
    builds = NPCBuildQueueHistoryFactory.create_batch(5, world="demo", config=config)
    running = NPCBuildQueueHistoryFactory(world="demo", config=config, completed_at=None)
    quiet = VillageFactory(world="demo")
    with CaptureQueriesContext(connections["world_demo"]) as queries:
        attach_recent_builds("demo", [config.village, quiet])
    assert len(queries) == 1
    assert [b.pk for b in config.village.recent_builds] == [running.pk, builds[4].pk, builds[3].pk]
    assert quiet.recent_builds == []
    attach_recent_builds("demo", [])  # nothing to do, no query


def test_npc_names_in_one_query(django_assert_num_queries):
    configs = NPCVillageConfigFactory.create_batch(3, world="testworld")
    with django_assert_num_queries(1):
        names = npc_names([c.npc_id for c in configs] + [999_999, None])
    assert set(names) == {c.npc_id for c in configs}


def test_an_npcs_villages_include_owned_villages_without_configuration():
    state = NPCWorldStateFactory(world_id="demo")
    configured = NPCVillageConfigFactory(world="demo", village__player_id=state.player_id)
    unconfigured = VillageFactory(world="demo", player_id=state.player_id)
    VillageFactory(world="demo")  # someone else's
    (entry,) = villages_for_npc(state.npc_id)
    assert entry.world_id == "demo" and entry.player_id == state.player_id and not entry.error
    assert {v.pk for v in entry.villages} == {configured.pk, unconfigured.pk}
