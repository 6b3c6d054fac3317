"""npc_decisions_world_daily and npc_decisions_npc_daily: the decisions rollup per UTC day.

Rebuilt by `refresh_decisions_hourly` from the hourly rows of every day it touches
(analytics/decisions_rollup.py); filled here from the hourly rows already there.
"""

from django.db import migrations

from npcadmin.schema_versions import RecordSchemaVersion


def build(apps, schema_editor):
    from analytics import decisions_rollup

    with schema_editor.connection.cursor() as cursor:
        for statement in decisions_rollup.DAILY_CREATE_SQL:
            cursor.execute(statement)
        decisions_rollup.rebuild_all_days(cursor)


def drop(apps, schema_editor):
    from analytics import decisions_rollup

    with schema_editor.connection.cursor() as cursor:
        for statement in decisions_rollup.DAILY_DROP_SQL:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0005_decisions_hourly")]

    operations = [
        migrations.RunPython(build, drop, elidable=False),
        RecordSchemaVersion(
            "1.3.2", "npc_decisions_world_daily and npc_decisions_npc_daily: the decisions rollup per UTC day",
            "manage.py migrate analytics 0005_decisions_hourly",
        ),
    ]
