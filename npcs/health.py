"""Health checks of the global NPC database's own upkeep (registered with npcadmin.health)."""

from __future__ import annotations

from django.conf import settings
from django.db import connections
from django.utils import timezone

from npcadmin import health
from npcs import partitions


@health.register(name="memory_partitions")
def check_memory_partitions() -> health.CheckResult:
    """`npc_memory` has a partition for this month and the `NPCADMIN_MEMORY_PARTITIONS_AHEAD` next ones."""
    name = "memory_partitions"
    ahead = getattr(settings, "NPCADMIN_MEMORY_PARTITIONS_AHEAD", 3)
    wanted = partitions.months_ahead(timezone.now().date(), ahead)
    have = {p.month for p in partitions.existing_partitions()}
    missing = [m for m in wanted if m not in have]
    with connections["default"].cursor() as cursor:
        # EXISTS, not count(*): the default partition can be large exactly when this matters.
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {partitions.DEFAULT_PARTITION})")
        default_has_rows = cursor.fetchone()[0]
    details = {"missing": [f"{m:%Y-%m}" for m in missing], "default_partition_has_rows": default_has_rows}
    if missing:
        return health.CheckResult(name, health.ERROR, f"npc_memory partitions missing for "
                                  f"{', '.join(details['missing'])}: run `manage.py memory_partitions`",
                                  details=details)
    if default_has_rows:
        return health.CheckResult(name, health.WARNING, f"rows wait in {partitions.DEFAULT_PARTITION} (a month "
                                  "without a partition was written): run `manage.py memory_partitions --clear-default`",
                                  details=details)
    return health.CheckResult(name, health.OK, f"partitions exist through {wanted[-1]:%Y-%m}", details=details)
