"""`manage.py world_orphans` and `manage.py migrate_all`, against the two test worlds."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from npcs.models import NPC
from tests.factories.worlds import NPCBuildQueueHistoryFactory, NPCVillageConfigFactory
from worlds.models import NPCBuildQueueHistory, NPCVillageConfig


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out, **options)
    return out.getvalue()


@pytest.fixture
def orphans():
    """An NPC deleted globally that still has a village config and 2 builds in each world."""
    first = NPCVillageConfigFactory(world="demo")
    for world in ("demo", "testworld"):
        config = first if world == "demo" else NPCVillageConfigFactory(world=world, npc_id=first.npc_id)
        NPCBuildQueueHistoryFactory.create_batch(2, world=world, config=config)
    kept = NPCVillageConfigFactory(world="demo")
    NPC.objects.filter(pk=first.npc_id).delete()
    return first.npc_id, kept


@pytest.mark.django_db(databases="__all__")
class TestWorldOrphans:
    def test_reports_without_deleting(self, orphans):
        npc_id, _ = orphans
        out = run("world_orphans")
        assert f"demo: 1 village configs and 2 builds of 1 missing NPCs: {npc_id}" in out
        assert "testworld: 1 village configs and 2 builds" in out
        assert NPCVillageConfig.objects.in_world("demo").count() == 2

    def test_dry_run_deletes_nothing(self, orphans):
        out = run("world_orphans", "--delete", "--dry-run", "--no-input")
        assert "would delete 3 rows" in out
        assert NPCBuildQueueHistory.objects.in_world("demo").count() == 2

    def test_delete_in_one_world(self, orphans):
        _, kept = orphans
        out = run("world_orphans", "--world", "demo", "--delete", "--no-input")
        assert "demo: deleted 1 village configs and 2 builds" in out
        assert list(NPCVillageConfig.objects.in_world("demo").values_list("pk", flat=True)) == [kept.pk]
        assert NPCVillageConfig.objects.in_world("testworld").count() == 1  # not asked about
        assert "demo: no orphaned rows" in run("world_orphans", "--world", "demo")

    def test_asks_before_deleting(self, orphans, monkeypatch):
        monkeypatch.setattr("builtins.input", lambda prompt: "n")
        assert "demo: kept" in run("world_orphans", "--world", "demo", "--delete")
        assert NPCVillageConfig.objects.in_world("demo").count() == 2

    def test_unknown_world(self):
        with pytest.raises(CommandError, match="unknown world"):
            run("world_orphans", "--world", "atlantis")


@pytest.mark.django_db(databases="__all__", transaction=True)
@pytest.mark.faults
def test_orphans_go_on_when_a_world_is_down(world_down):
    with world_down("demo"), pytest.raises(CommandError, match="could not check: demo"):
        out = io.StringIO()
        call_command("world_orphans", stdout=out, stderr=out)
    assert "testworld: no orphaned rows" in out.getvalue()
    assert "World demo's database 'test_demo' cannot be reached" in out.getvalue()


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_migrate_all_migrates_each_world_on_its_own(world_sql):
    run("migrate", "worlds", "zero", database="world_demo", verbosity=0)
    assert world_sql("demo", "SELECT to_regclass('npc_village_config')")[0][0] is None
    assert world_sql("testworld", "SELECT to_regclass('npc_village_config')")[0][0] == "npc_village_config"
    out = run("migrate_all", "--world", "demo")
    assert "Migrating world_demo" in out and "world_testworld" not in out and "default" not in out
    for table in ("villages", "npc_village_config", "npc_build_queue_history"):
        assert world_sql("demo", "SELECT to_regclass(%s)", [table])[0][0] == table
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT to_regclass('npc_village_config')")
        assert cursor.fetchone()[0] is None


@pytest.mark.django_db(databases="__all__", transaction=True)
@pytest.mark.faults
def test_migrate_all_goes_on_when_a_world_is_down(world_down):
    out = io.StringIO()
    with world_down("demo"), pytest.raises(CommandError, match="migration failed for: world_demo"):
        call_command("migrate_all", stdout=out, stderr=out)  # creating it fails too
    assert "Migrating world_testworld" in out.getvalue() and "Migrating default" in out.getvalue()


def test_migrate_all_refuses_an_unknown_world():
    with pytest.raises(CommandError, match="unknown world"):
        run("migrate_all", "--world", "atlantis")


@pytest.mark.django_db(databases="__all__")
def test_migrate_all_dry_run_shows_plans_and_changes_nothing():
    out = run("migrate_all", "--dry-run")
    assert out.count("Planned operations:") == 3
    assert "Migrating default" in out and "Migrating world_demo" in out and "Migrating world_testworld" in out
