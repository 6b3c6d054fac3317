"""Flaw 9: each contract-changing migration records its version and names the command that goes back."""

import pytest
from django.db.migrations.loader import MigrationLoader

from npcs.models import SchemaVersion

pytestmark = pytest.mark.django_db


def test_versions_recorded_by_the_migrations():
    rows = list(SchemaVersion.objects.order_by("version").values_list("version", "rollback_script"))
    assert rows == [
        ("1.0.0", "manage.py migrate npcs zero"),
        ("1.0.1", "manage.py migrate npcs 0004_schema_version_1_0_0"),
        ("1.1.0", "manage.py migrate npcs 0006_range_validators"),
        ("1.1.1", "manage.py migrate npcs 0007_template_history"),
        ("1.2.0", "manage.py migrate analytics zero"),
        ("1.2.1", "manage.py migrate analytics 0002_metrics_storage"),
        ("1.2.2", "manage.py migrate analytics 0003_metrics_world_hourly"),
        ("1.3.0", "manage.py migrate analytics 0004_seed_npc_metrics_hourly"),
        ("1.3.1", "manage.py migrate npcs 0009_schema_versions_recorded"),
        ("1.3.2", "manage.py migrate analytics 0005_decisions_hourly"),
    ]


def test_every_rollback_script_names_an_existing_migration():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for script in SchemaVersion.objects.values_list("rollback_script", flat=True):
        *_, app, target = script.split()
        assert app in {"npcs", "analytics"}, script
        assert target == "zero" or (app, target) in loader.disk_migrations, script
