"""npc_decisions_hourly and npc_decisions_world_hourly: the decisions dashboard's hourly rollup.

Tables, dirty-hour triggers on npc_decisions and a watermark, refreshed by
`refresh_decisions_hourly` (analytics/decisions_rollup.py). The same tables on both backends (npc_decisions
cannot become a hypertable without breaking the spec's PRIMARY KEY (id); docs/analytics.md).
"""

from django.db import migrations

from npcadmin.schema_versions import RecordSchemaVersion


def build(apps, schema_editor):
    from analytics import decisions_rollup

    with schema_editor.connection.cursor() as cursor:
        for statement in decisions_rollup.CREATE_SQL:
            cursor.execute(statement)


def drop(apps, schema_editor):
    from analytics import decisions_rollup

    with schema_editor.connection.cursor() as cursor:
        for statement in decisions_rollup.DROP_SQL:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_view_dashboards_moves_to_npcadmin"),
        ("analytics", "0004_seed_npc_metrics_hourly"),
        ("npcs", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(build, drop, elidable=False),
        RecordSchemaVersion(
            "1.3.0", "npc_decisions_hourly, npc_decisions_world_hourly and their dirty-hour triggers on "
                     "npc_decisions (one trigger call per engine INSERT)",
            "manage.py migrate analytics 0004_seed_npc_metrics_hourly",
        ),
    ]
