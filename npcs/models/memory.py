"""What an NPC remembers (`npc_memory`), range-partitioned by month on `occurred_at`.

PostgreSQL's primary key is `(id, occurred_at)` (a partitioned table's key must contain the
partition column); Django keeps `id` as its key because the admin refuses composite keys.
`id` comes from one sequence, so it is unique across partitions all the same. The table and
its partitions are created by raw SQL in the migrations; see `npcs/partitions.py`.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from npcs.choices import MemoryType
from npcs.models.fields import bounded, check_in, check_range, created_at, int_default


class NPCMemory(models.Model):
    """One remembered event, with its importance and the lesson drawn from it."""

    id = models.BigAutoField(primary_key=True)
    npc = models.ForeignKey("npcs.NPC", on_delete=models.DB_CASCADE, null=True, db_index=False,
                            related_name="memories")
    world_id = models.CharField(max_length=50)
    memory_type = models.CharField(max_length=100, choices=MemoryType.choices)
    event_data = models.JSONField()
    importance = models.FloatField(default=0.5, db_default=0.5, validators=bounded(0.0, 1.0, "Importance"))
    emotional_weight = models.FloatField(default=0.0, db_default=0.0)
    occurred_at = models.DateTimeField()
    game_day = models.IntegerField(null=True, blank=True)
    related_player_ids = ArrayField(models.IntegerField(), null=True, blank=True)
    related_village_ids = ArrayField(models.IntegerField(), null=True, blank=True)
    lesson_learned = models.TextField(null=True, blank=True)
    behavior_adjustment = models.JSONField(null=True, blank=True)
    accessed_count = int_default(0)
    last_accessed = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at()

    class Meta:
        db_table = "npc_memory"
        verbose_name = "memory"
        verbose_name_plural = "memories"
        ordering = ["-occurred_at", "-id"]
        constraints = [
            check_in("npc_memory", "memory_type", MemoryType, "Memory type"),
            check_range("npc_memory", "importance", 0.0, 1.0, "Importance"),
        ]
        indexes = [
            models.Index(fields=["npc"], name="idx_memory_npc"),
            models.Index(fields=["memory_type"], name="idx_memory_type"),
            models.Index(fields=["-importance"], name="idx_memory_importance"),
            models.Index(fields=["-occurred_at"], name="idx_memory_occurred"),
            models.Index(fields=["expires_at"], name="idx_memory_expires",
                         condition=models.Q(expires_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.memory_type} of NPC {self.npc_id} at {self.occurred_at:%Y-%m-%d %H:%M}"
