"""Join the two 0004 migrations written side by side (the decisions rollup, the dashboards permission)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0004_decisions_hourly"),
        ("analytics", "0004_view_dashboards_moves_to_npcadmin"),
    ]

    operations = []
