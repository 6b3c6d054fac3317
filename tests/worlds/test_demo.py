"""`worlds.demo.seed_demo`: villages for the demo NPCs in every world, fitting each personality."""

from collections import Counter

import pytest
from django.test import override_settings

from npcs.choices import Personality
from tests.factories.npcs import NPCFactory, NPCWorldStateFactory
from worlds.choices import RESOURCE_FIELDS, Building, VillageType
from worlds.demo import seed_demo
from worlds.models import NPCBuildQueueHistory, NPCVillageConfig, Village

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def demo_npcs():
    """An aggressive NPC in both worlds, an economic one in demo only (3 villages each)."""
    warlord = NPCFactory(personality=Personality.AGGRESSIVE, tribe="Teutons")
    farmer = NPCFactory(personality=Personality.ECONOMIC, tribe="Gauls")
    NPCWorldStateFactory(npc=warlord, world_id="demo", player_id=11, village_count=3)
    NPCWorldStateFactory(npc=warlord, world_id="testworld", player_id=12, village_count=3)
    NPCWorldStateFactory(npc=farmer, world_id="demo", player_id=21, village_count=3)
    return warlord, farmer


def _counts(world: str) -> tuple[int, int, int]:
    return (Village.objects.in_world(world).count(), NPCVillageConfig.objects.in_world(world).count(),
            NPCBuildQueueHistory.objects.in_world(world).count())


def test_fills_each_world_for_the_npcs_playing_it(demo_npcs):
    warlord, farmer = demo_npcs
    done = []
    report = seed_demo(npcs=[warlord, farmer], rng_seed=7, progress=done.append)
    assert sorted(done) == [1, 2]
    assert report["demo"]["villages"] == 6 and report["testworld"]["villages"] == 3
    assert _counts("demo")[:2] == (6, 6) and _counts("testworld")[:2] == (3, 3)
    owners = set(Village.objects.in_world("demo").values_list("player_id", flat=True))
    assert owners == {11, 21}  # villages belong to the NPCs' player ids in that world
    configs = NPCVillageConfig.objects.in_world("demo").select_related("village")
    assert all((c.npc_id == warlord.pk) == (c.village.player_id == 11) for c in configs)
    assert Village.objects.in_world("demo").filter(is_capital=True).count() == 2
    for config in configs:
        config.full_clean()  # every generated row passes the application's validation


def test_configs_and_builds_fit_the_personality(demo_npcs):
    warlord, farmer = demo_npcs
    seed_demo(npcs=[warlord, farmer], rng_seed=7)
    configs = NPCVillageConfig.objects.in_world("demo")
    war_types = set(configs.filter(npc_id=warlord.pk).values_list("village_type", flat=True))
    farm_types = set(configs.filter(npc_id=farmer.pk).values_list("village_type", flat=True))
    assert war_types <= {VillageType.CAPITAL, VillageType.MILITARY, VillageType.DEFENSIVE}
    assert VillageType.MILITARY in war_types
    assert farm_types <= {VillageType.CAPITAL, VillageType.ECONOMIC, VillageType.FARMING}
    assert configs.filter(npc_id=warlord.pk, auto_raid_enabled=True).exists()
    assert not configs.filter(npc_id=farmer.pk, auto_raid_enabled=True).exists()
    builds = NPCBuildQueueHistory.objects.in_world("demo")
    war_builds = Counter(builds.filter(npc_id=warlord.pk).values_list("building_name", flat=True))
    farm_builds = Counter(builds.filter(npc_id=farmer.pk).values_list("building_name", flat=True))
    military = {Building.BARRACKS, Building.STABLE, Building.WORKSHOP, Building.SMITHY, Building.RALLY_POINT}
    assert sum(war_builds[b] for b in military) > war_builds.total() / 2
    assert sum(farm_builds[b] for b in (*RESOURCE_FIELDS, Building.MARKETPLACE)) > farm_builds.total() / 2
    assert configs.filter(npc_id=farmer.pk).first().resource_priority["wood"] == 1


def test_building_levels_agree_with_the_history(demo_npcs):
    seed_demo(npcs=list(demo_npcs), rng_seed=3)
    for village in Village.objects.in_world("demo").prefetch_related("build_history"):
        for build in village.build_history.all():
            if build.completed_at:
                assert village.buildings.get(build.building_name, 0) >= build.to_level
        assert sum(1 for b in village.build_history.all() if b.completed_at is None) <= 1


def test_idempotent_and_reset_replaces(demo_npcs):
    seed_demo(npcs=list(demo_npcs), rng_seed=7)
    first = _counts("demo"), _counts("testworld")
    report = seed_demo(npcs=list(demo_npcs), rng_seed=7)
    assert report["demo"]["villages"] == 0 and report["demo"]["npcs_already_seeded"] == 2
    assert (_counts("demo"), _counts("testworld")) == first
    ids_before = set(Village.objects.in_world("demo").values_list("id", flat=True))
    seed_demo(npcs=list(demo_npcs), rng_seed=7, reset=True)
    assert (_counts("demo"), _counts("testworld")) == first  # same seed, same amounts
    assert not ids_before & set(Village.objects.in_world("demo").values_list("id", flat=True))


def test_a_live_games_villages_are_left_alone(demo_npcs):
    with override_settings(NPCADMIN_VILLAGES_UNMANAGED=True):
        report = seed_demo(npcs=list(demo_npcs))
    assert "live game" in report["demo"]["skipped"] and _counts("demo") == (0, 0, 0)
