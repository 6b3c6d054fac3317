"""Partitions of npc_memory for the current and next months, created when migrating.

Later months are created ahead by `manage.py memory_partitions` (run it from cron).
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def create_months(apps, schema_editor):
    from npcs import partitions

    today = timezone.now().date()
    months = partitions.months_ahead(today, max(1, settings.NPCADMIN_MEMORY_PARTITIONS_AHEAD))
    partitions.ensure_months(months, using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ("npcs", "0002_npc_memory_partitioned"),
    ]

    operations = [
        migrations.RunPython(create_months, migrations.RunPython.noop),
    ]
