"""Record contract version 1.0.0 in schema_versions, as the seed does (docs/schema.md, flaw 9)."""

from django.db import migrations

INSERT = """
INSERT INTO schema_versions (version, description, rollback_script)
VALUES ('1.0.0', 'Initial NPC framework schema', 'manage.py migrate npcs zero')
ON CONFLICT (version) DO NOTHING
"""


class Migration(migrations.Migration):

    dependencies = [
        ("npcs", "0003_npc_memory_months"),
    ]

    operations = [
        migrations.RunSQL(INSERT, reverse_sql="DELETE FROM schema_versions WHERE version = '1.0.0'"),
    ]
