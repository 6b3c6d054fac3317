"""`npc_metrics_hourly` becomes exactly the seed's relation; the per-world grain the dashboards
read is renamed `npc_metrics_hourly_by_world`.

TimescaleDB: the seed's continuous aggregate (real-time aggregation), and the world level as a
hierarchical continuous aggregate on top of the per-world one. Native: a view over the raw
samples (plain SQL sees the newest hour). Non-atomic: continuous aggregates refuse a transaction.
See analytics/storage.py and docs/analytics.md.
"""

from django.db import migrations, transaction

from npcadmin.schema_versions import RecordSchemaVersion


def _run(schema_editor, native, timescale):
    from analytics import storage

    alias = schema_editor.connection.alias
    storage.forget_backend()
    is_timescale = storage.metrics_backend(alias) == storage.TIMESCALEDB
    with schema_editor.connection.cursor() as cursor:
        if is_timescale:
            for statement in timescale:
                cursor.execute(statement)
        else:
            with transaction.atomic(using=alias):
                for statement in native:
                    cursor.execute(statement)
    storage.forget_backend()


def build(apps, schema_editor):
    from analytics import storage

    _run(schema_editor, storage.SEED_HOURLY_NATIVE_SQL, storage.SEED_HOURLY_TIMESCALE_SQL)


def drop(apps, schema_editor):
    from analytics import storage

    _run(schema_editor, storage.SEED_HOURLY_NATIVE_DROP_SQL, storage.SEED_HOURLY_TIMESCALE_DROP_SQL)


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("analytics", "0003_metrics_world_hourly"),
    ]

    operations = [
        migrations.RunPython(build, drop, elidable=False),
        migrations.AlterModelTable(name="npcmetrichourly", table="npc_metrics_hourly_by_world"),
        RecordSchemaVersion(
            "1.2.2", "npc_metrics_hourly is the seed's relation (hour, npc_id, avg_population, avg_rank, "
                     "total_wood_produced; one row per hour and NPC); the per-world rollup is "
                     "npc_metrics_hourly_by_world",
            "manage.py migrate analytics 0003_metrics_world_hourly",
        ),
    ]
