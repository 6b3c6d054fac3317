"""npc_metrics_world_hourly: one row per (hour, world) for the world-wide charts.

Native backend: a rollup table filled from npc_metrics_hourly here and then by every
`refresh_metrics_hourly` (the same dirty hours). TimescaleDB: a plain view over the continuous
aggregate. See analytics/storage.py and docs/analytics.md.
"""

from django.db import migrations


def build(apps, schema_editor):
    from analytics import storage

    alias = schema_editor.connection.alias
    storage.forget_backend()
    statements = storage.WORLD_TIMESCALE_SQL if storage.metrics_backend(alias) == storage.TIMESCALEDB \
        else storage.WORLD_NATIVE_SQL
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def drop(apps, schema_editor):
    from analytics import storage

    alias = schema_editor.connection.alias
    statements = storage.WORLD_DROP_TIMESCALE_SQL if storage.metrics_backend(alias) == storage.TIMESCALEDB \
        else storage.WORLD_DROP_NATIVE_SQL
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0002_metrics_storage"),
    ]

    operations = [
        migrations.RunPython(build, drop, elidable=False),
    ]
