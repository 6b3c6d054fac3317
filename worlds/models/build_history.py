"""`npc_build_queue_history`: every building an NPC queued, with its timing and cost (seed contract)."""

from __future__ import annotations

from django.db import models

from npcs.models.fields import created_at
from worlds.models.base import WorldModel, validate_npc_exists
from worlds.models.village import Village


class NPCBuildQueueHistory(WorldModel):
    """One queued building upgrade: what, when it was queued/started/completed, cost and why."""

    id = models.BigAutoField(primary_key=True)
    village = models.ForeignKey(Village, on_delete=models.DB_CASCADE, null=True, db_column="village_id",
                                db_index=False, related_name="build_history")
    npc_id = models.IntegerField(validators=[validate_npc_exists], help_text="global npcs.id")

    building_name = models.CharField(max_length=100)
    from_level = models.IntegerField()
    to_level = models.IntegerField()

    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    cost_wood = models.IntegerField(null=True, blank=True)
    cost_clay = models.IntegerField(null=True, blank=True)
    cost_iron = models.IntegerField(null=True, blank=True)
    cost_wheat = models.IntegerField(null=True, blank=True)

    wait_time_seconds = models.IntegerField(null=True, blank=True, help_text="from queued to started")
    build_time_seconds = models.IntegerField(null=True, blank=True)

    priority_score = models.FloatField(null=True, blank=True)
    decision_reason = models.TextField(null=True, blank=True)

    created_at = created_at()

    class Meta:
        db_table = "npc_build_queue_history"
        verbose_name = "NPC build"
        verbose_name_plural = "NPC build queue history"
        # Matches idx_build_queue_completed (DESC, so NULLs — builds still running — come first).
        ordering = ["-completed_at", "-id"]
        indexes = [
            models.Index(fields=["village"], name="idx_build_queue_village"),
            models.Index(fields=["npc_id"], name="idx_build_queue_npc"),
            models.Index(fields=["-completed_at"], name="idx_build_queue_completed"),
            # Not in the seed: the latest builds of a page of villages (selectors.attach_recent_builds).
            models.Index(fields=["village", "-completed_at", "-id"], name="idx_build_queue_village_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.building_name} {self.from_level}→{self.to_level} in village {self.village_id}"
