"""Record the contract versions of the changes merged beside the recorded schema versions.

`analytics/0005_decisions_hourly` put dirty-hour triggers on `npc_decisions` (every engine INSERT
fires one) and two rollup tables; `npcs/0010_decisions_filter_statistics` added extended statistics
on `npc_decisions` (plans only, but an object on the engine's table). Neither recorded a
`schema_versions` row (docs/schema.md, flaw 9): recorded here, in the global database.
"""

from django.db import migrations

from npcadmin.schema_versions import RecordSchemaVersion


class Migration(migrations.Migration):

    dependencies = [
        ("npcs", "0010_decisions_filter_statistics"),
        ("npcs", "0009_schema_versions_recorded"),
        ("analytics", "0005_merge_decisions_hourly_and_permissions"),
    ]

    operations = [
        RecordSchemaVersion(
            "1.3.0", "npc_decisions_hourly, npc_decisions_world_hourly and their dirty-hour triggers on "
                     "npc_decisions (one trigger call per engine INSERT)",
            "manage.py migrate analytics 0004_view_dashboards_moves_to_npcadmin",
            covers=(("analytics", "0005_decisions_hourly"),),
        ),
        RecordSchemaVersion(
            "1.3.1", "Extended statistics npc_decisions_filters_stats on npc_decisions (planner only)",
            "manage.py migrate npcs 0009_schema_versions_recorded",
            covers=(("npcs", "0010_decisions_filter_statistics"),),
        ),
    ]
