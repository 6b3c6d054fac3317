"""Join the two 0004 migrations written side by side (the decisions rollup, the dashboards permission)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        # The rollup was renumbered 0005 after the permission move: this join is now a plain step.
        ("analytics", "0005_decisions_hourly"),
    ]

    operations = []
