"""Record the contract versions that migrations 0007, 0008 and analytics 0001-0003 forgot (flaw 9).

Each of them changed what the engine sees, against docs/schema.md's own rule, but added no
`schema_versions` row. Applied migrations are never edited: this one records them, in the order
they were applied, and `covers` names the migration each row stands for
(`tests/npcadmin/test_schema_versions_rule.py` checks every migration is covered).
It depends on analytics 0003 so the rows describe migrations that have run.
"""

from django.db import migrations

from npcadmin.schema_versions import RecordSchemaVersion


class Migration(migrations.Migration):

    dependencies = [
        ("npcs", "0008_bench_indexes"),
        ("analytics", "0003_metrics_world_hourly"),
    ]

    operations = [
        RecordSchemaVersion(
            "1.1.0", "npc_template_history: a table with a key to npcs ON DELETE CASCADE "
                     "(deleting an NPC deletes its template history)",
            "manage.py migrate npcs 0006_range_validators",
            covers=(("npcs", "0007_template_history"),),
        ),
        RecordSchemaVersion(
            "1.1.1", "Indexes npc_decisions_npc_created_idx and npc_memory_npc_occurred_idx (one more index "
                     "insert per decision and memory)",
            "manage.py migrate npcs 0007_template_history",
            covers=(("npcs", "0008_bench_indexes"),),
        ),
        RecordSchemaVersion(
            "1.2.0", "npc_metrics and npc_metrics_hourly (TimescaleDB or native partitions)",
            "manage.py migrate analytics zero",
            covers=(("analytics", "0001_metrics"), ("analytics", "0002_metrics_storage")),
        ),
        RecordSchemaVersion(
            "1.2.1", "npc_metrics_world_hourly: the per-world hourly rollup",
            "manage.py migrate analytics 0002_metrics_storage",
            covers=(("analytics", "0003_metrics_world_hourly"),),
        ),
    ]
