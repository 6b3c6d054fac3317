"""Adding a world is configuration: ids and database URLs from the environment; villages unmanaged by a flag."""

import importlib
import subprocess
import sys

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
    global_db = {"NAME": "npcadmin", "HOST": "db", "PORT": "5432", "OPTIONS": {"connect_timeout": 5, "sslmode": "x"}}
    config = npcadmin_env.world_database("s1", global_db)
    assert (config["NAME"], config["HOST"], config["OPTIONS"]) == ("s1", "db", {"sslmode": "x"})
    assert global_db["OPTIONS"] == {"connect_timeout": 5, "sslmode": "x"}  # untouched


def test_a_world_database_url_wins(monkeypatch):
    monkeypatch.setenv("WORLD_S1_DATABASE_URL", "postgres://game:pw@game-db.internal:6432/s1_live")
    config = npcadmin_env.world_database("s1", {"NAME": "npcadmin"})
    assert (config["NAME"], config["HOST"], config["PORT"], config["USER"]) == ("s1_live", "game-db.internal", 6432,
                                                                                "game")


def test_settings_build_one_alias_per_configured_world():
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'npcadmin.settings.test'; django.setup(); "
            "from django.conf import settings; print(sorted(settings.DATABASES), "
            "settings.DATABASES['world_s3']['NAME'], settings.DATABASES['world_s3']['HOST'])")
    env = {"NPCADMIN_WORLDS": "s3,arena", "WORLD_S3_DATABASE_URL": "postgres://u@elsewhere:5432/s3db",
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env={**_inherited_env(), **env}, capture_output=True,
                         text=True, check=True, cwd=settings.BASE_DIR).stdout
    assert out.split() == ["['default',", "'world_arena',", "'world_s3']", "s3db", "elsewhere"]


def _inherited_env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("WORLD_", "NPCADMIN_WORLDS"))}


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


def test_the_model_and_its_migration_agree_either_way():
    for flag in ("false", "true"):
        result = subprocess.run([sys.executable, "manage.py", "makemigrations", "worlds", "--check", "--dry-run"],
                                env={**_inherited_env(), "NPCADMIN_VILLAGES_UNMANAGED": flag,
                                     "DJANGO_SETTINGS_MODULE": "npcadmin.settings.test"},
                                capture_output=True, text=True, cwd=settings.BASE_DIR)
        assert result.returncode == 0, result.stdout + result.stderr
