"""Foreign keys of the global schema check at once, as the seed's do (docs/schema.md, "Foreign keys").

Django creates every foreign key DEFERRABLE INITIALLY DEFERRED, so a DELETE of an NPC that
leads an alliance or sent messages would be refused only at COMMIT and an engine INSERT with
an unknown npc_id only at COMMIT. The seed's keys are plain (NOT DEFERRABLE): the engine gets
SQLSTATE 23503 from the statement itself. ON DELETE CASCADE is immediate either way.
`tests/npcs/test_schema_contract_keys.py` pins this, so a later AlterField that recreates a key
as deferrable fails the suite.
"""

from django.db import migrations

TABLES = (
    "npc_world_state", "npc_relationships", "npc_memory", "npc_decisions", "npc_alliances",
    "npc_messages", "npc_battle_history", "npc_trade_history",
)

SET_FKS = """
DO $$
DECLARE fk record;
BEGIN
    FOR fk IN
        SELECT c.conrelid::regclass AS tbl, c.conname
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.conparentid = 0
          AND c.conrelid = ANY (ARRAY[{tables}]::regclass[])
    LOOP
        EXECUTE format('ALTER TABLE %s ALTER CONSTRAINT %I {mode}', fk.tbl, fk.conname);
    END LOOP;
END
$$;
"""


VERSION = """
INSERT INTO schema_versions (version, description, rollback_script)
VALUES ('1.0.1', 'Foreign keys checked at the statement (NOT DEFERRABLE), as in the seed',
        'manage.py migrate npcs 0004_schema_version_1_0_0')
ON CONFLICT (version) DO NOTHING
"""


def _sql(mode: str) -> str:
    tables = ", ".join(f"'{table}'" for table in TABLES)
    return SET_FKS.format(tables=tables, mode=mode)


class Migration(migrations.Migration):

    dependencies = [
        ("npcs", "0004_schema_version_1_0_0"),
    ]

    operations = [
        migrations.RunSQL(_sql("NOT DEFERRABLE"), reverse_sql=_sql("DEFERRABLE INITIALLY DEFERRED")),
        migrations.RunSQL(VERSION, reverse_sql="DELETE FROM schema_versions WHERE version = '1.0.1'"),
    ]
