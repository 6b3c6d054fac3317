"""Adding a world is configuration: ids and database URLs from the environment; villages unmanaged by a flag."""

import importlib

import environ
import pytest
from django.conf import settings
from django.db import connections
from django.db.migrations.state import ProjectState
from django.test import override_settings

from npcadmin import env as npcadmin_env


def test_two_worlds_are_configured_with_their_own_databases():
    assert settings.NPCADMIN_WORLDS == ["testworld", "demo"]
    for world in settings.NPCADMIN_WORLDS:
        config = settings.DATABASES[f"world_{world}"]
        assert config["OPTIONS"]["connect_timeout"] == settings.NPCADMIN_WORLD_CONNECT_TIMEOUT
        assert config["OPTIONS"] is not settings.DATABASES["default"]["OPTIONS"]
        assert config["CONN_HEALTH_CHECKS"] is True


def test_world_ids_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("NPCADMIN_WORLDS", "s1, speed_x3 ,demo")
    assert npcadmin_env.world_ids() == ["s1", "speed_x3", "demo"]
    for bad in ("Demo", "1world", "a-b", "demo,demo"):
        monkeypatch.setenv("NPCADMIN_WORLDS", bad)
        with pytest.raises(environ.ImproperlyConfigured):
            npcadmin_env.world_ids()


def test_a_world_database_defaults_to_its_name_on_the_global_server(monkeypatch):
    monkeypatch.delenv("WORLD_S1_DATABASE_URL", raising=False)
    global_db = {"NAME": "npcadmin", "HOST": "db", "PORT": "5432", "OPTIONS": {"connect_timeout": 5, "sslmode": "x"},
                 "TEST": {"NAME": "npcadmin_ci"}}
    config = npcadmin_env.world_database("s1", global_db)
    assert (config["NAME"], config["HOST"], config["OPTIONS"]) == ("s1", "db", {"sslmode": "x"})
    assert "TEST" not in config
    assert global_db["OPTIONS"] == {"connect_timeout": 5, "sslmode": "x"}  # untouched


def test_a_world_database_url_wins(monkeypatch):
    monkeypatch.setenv("WORLD_S1_DATABASE_URL", "postgres://game:pw@game-db.internal:6432/s1_live")
    config = npcadmin_env.world_database("s1", {"NAME": "npcadmin"})
    assert (config["NAME"], config["HOST"], config["PORT"], config["USER"]) == ("s1_live", "game-db.internal", 6432,
                                                                                "game")


def test_one_alias_per_configured_world(monkeypatch):
    monkeypatch.setenv("WORLD_S3_DATABASE_URL", "postgres://u@elsewhere:5432/s3db?connect_timeout=10")
    monkeypatch.delenv("WORLD_ARENA_DATABASE_URL", raising=False)
    databases = npcadmin_env.world_databases(["s3", "arena"], {"NAME": "npcadmin", "HOST": "db", "OPTIONS": {}}, 2)
    assert sorted(databases) == ["world_arena", "world_s3"]
    assert (databases["world_s3"]["NAME"], databases["world_s3"]["HOST"]) == ("s3db", "elsewhere")
    assert int(databases["world_s3"]["OPTIONS"]["connect_timeout"]) == 10  # the URL's own wins
    assert (databases["world_arena"]["NAME"], databases["world_arena"]["OPTIONS"]) == ("arena", {"connect_timeout": 2})


def _initial_migration_sql() -> str:
    module = importlib.reload(importlib.import_module("worlds.migrations.0001_initial"))
    migration = module.Migration("0001_initial", "worlds")
    with connections["world_demo"].schema_editor(collect_sql=True, atomic=False) as editor:
        migration.apply(ProjectState(), editor, collect_sql=True)
    return "\n".join(editor.collected_sql)


@pytest.mark.django_db(databases="__all__")
def test_unmanaged_villages_are_never_created_but_still_referenced():
    assert 'CREATE TABLE "villages"' in _initial_migration_sql()
    try:
        with override_settings(NPCADMIN_VILLAGES_UNMANAGED=True):
            sql = _initial_migration_sql()
    finally:
        importlib.reload(importlib.import_module("worlds.migrations.0001_initial"))
    assert 'CREATE TABLE "villages"' not in sql and '"villages_x_y_key"' not in sql
    assert 'CREATE TABLE "npc_village_config"' in sql
    assert sql.count('REFERENCES "villages"') == 2 and "ON DELETE CASCADE" in sql


def _village_options() -> dict:
    module = importlib.reload(importlib.import_module("worlds.migrations.0001_initial"))
    return next(op.options for op in module.Migration.operations if getattr(op, "name", "") == "Village")


def test_the_model_and_its_migration_agree_either_way():
    from worlds.models import Village

    assert _village_options()["managed"] is Village._meta.managed is not settings.NPCADMIN_VILLAGES_UNMANAGED
    try:
        with override_settings(NPCADMIN_VILLAGES_UNMANAGED=True):
            assert _village_options()["managed"] is False  # what Village's Meta reads at start-up too
    finally:
        importlib.reload(importlib.import_module("worlds.migrations.0001_initial"))
