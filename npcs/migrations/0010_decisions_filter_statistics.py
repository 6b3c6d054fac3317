"""Extended statistics on npc_decisions for the console's combined filters.

The decisions changelist filters by `used_llm`, `decision_type` and world together
(`npcs.admin.logs`), and above 1,000 rows its paginator shows the planner's estimate
(`npcadmin.paginators.planner_row_estimate`). The planner multiplies per-column selectivities as if
the columns were independent; an engine that uses the LLM more in one world than another (or for
some decision types) made those estimates ±50 % off (issue 16). A multivariate MCV list plus
functional dependencies over the three columns gives the planner the combined frequencies; ANALYZE
(autovacuum) fills it.
"""

from django.db import migrations

from npcadmin.schema_versions import RecordSchemaVersion


class Migration(migrations.Migration):
    dependencies = [("npcs", "0009_schema_versions_recorded")]

    operations = [
        migrations.RunSQL(
            "CREATE STATISTICS IF NOT EXISTS npc_decisions_filters_stats (mcv, dependencies) "
            "ON used_llm, world_id, decision_type FROM npc_decisions",
            "DROP STATISTICS IF EXISTS npc_decisions_filters_stats",
        ),
        RecordSchemaVersion(
            "1.3.1", "Extended statistics npc_decisions_filters_stats on npc_decisions (used_llm, world_id, "
                     "decision_type): planner only, ANALYZE fills it",
            "manage.py migrate npcs 0009_schema_versions_recorded",
        ),
    ]
