"""Build npc_metrics and npc_metrics_hourly: TimescaleDB where available, else native partitions.

Non-atomic because CREATE MATERIALIZED VIEW ... WITH (timescaledb.continuous) refuses to run in
a transaction block; the native path wraps its own statements in one transaction instead.
See analytics/storage.py and docs/analytics.md.
"""

from django.db import migrations, transaction


def build_storage(apps, schema_editor):
    from django.utils import timezone

    from analytics import partitions, storage

    alias = schema_editor.connection.alias
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('npc_metrics') IS NOT NULL")
        if cursor.fetchone()[0]:
            raise RuntimeError(
                "npc_metrics already exists (created outside Django?). Rename it, run the migration, then "
                "INSERT INTO npc_metrics SELECT * FROM the old table; see docs/analytics.md."
            )
    backend = storage.chosen_backend(alias)
    storage.forget_backend()
    with schema_editor.connection.cursor() as cursor:
        if backend == storage.TIMESCALEDB:
            for statement in storage.TIMESCALE_SQL:
                cursor.execute(statement)
        else:
            with transaction.atomic(using=alias):
                for statement in storage.NATIVE_SQL:
                    cursor.execute(statement)
    storage.forget_backend()
    partitions.ensure_months_ahead(timezone.now().date(), using=alias)


def drop_storage(apps, schema_editor):
    from analytics import storage

    alias = schema_editor.connection.alias
    statements = storage.TIMESCALE_DROP_SQL if storage.metrics_backend(alias) == storage.TIMESCALEDB \
        else storage.NATIVE_DROP_SQL
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    storage.forget_backend()


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("analytics", "0001_metrics"),
    ]

    operations = [
        migrations.RunPython(build_storage, drop_storage, elidable=False),
    ]
