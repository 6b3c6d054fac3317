"""Indexes beyond the seed, added because the benchmarks at 10M rows missed their targets without them.

Both serve the console's changelists filtered by NPC (`npcs.admin.filters.NPCFilter`, `?npc=<id>`,
the NPC page's "decisions"/"memories" links) in their ordering (`npcs.admin.logs`:
`ordering = ("-created_at", "-id")` / `("-occurred_at", "-id")`) and their keyset pages
(`npcadmin.paginators.KeysetChangeList`): `WHERE npc_id = :n [AND (time, id) < (:t, :id)]
ORDER BY time DESC, id DESC LIMIT 50` becomes a read of 50 index entries instead of a bitmap scan
of all ~20 000 rows of that NPC plus a sort (docs/benchmarks.md, "Admin changelists").
The seed's `idx_decisions_npc` / `idx_memory_npc` stay: the engine's own queries may use them.

Built without blocking the engine's writes: CONCURRENTLY on `npc_decisions`; on the partitioned
`npc_memory`, an index ON ONLY the parent, then one per partition CONCURRENTLY, attached to it
(new partitions then get it automatically). Hence a non-atomic migration.
"""

from django.db import migrations

DECISIONS_INDEX = "npc_decisions_npc_created_idx"
MEMORY_INDEX = "npc_memory_npc_occurred_idx"
MEMORY_COLUMNS = "(npc_id, occurred_at DESC, id DESC)"


def create_memory_index(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {MEMORY_INDEX} ON ONLY npc_memory {MEMORY_COLUMNS}")
        cursor.execute(
            """
            SELECT c.relname, EXISTS (SELECT 1 FROM pg_inherits ii JOIN pg_index x ON x.indexrelid = ii.inhrelid
                                      WHERE ii.inhparent = %s::regclass AND x.indrelid = c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'npc_memory'::regclass ORDER BY c.relname
            """,
            [MEMORY_INDEX],
        )
        for partition, attached in cursor.fetchall():
            if attached:
                continue
            name = f"{partition}_npc_occurred_idx"
            cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {partition} {MEMORY_COLUMNS}")
            cursor.execute(f"ALTER INDEX {MEMORY_INDEX} ATTACH PARTITION {name}")


def drop_memory_index(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {MEMORY_INDEX}")  # drops the attached partition indexes too


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("npcs", "0007_template_history"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {DECISIONS_INDEX} "
            "ON npc_decisions (npc_id, created_at DESC, id DESC)",
            f"DROP INDEX CONCURRENTLY IF EXISTS {DECISIONS_INDEX}",
        ),
        migrations.RunPython(create_memory_index, drop_memory_index),
    ]
