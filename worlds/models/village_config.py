"""`npc_village_config`: how the NPC engine runs one of an NPC's villages (seed contract)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now

from npcs.choices import Resource
from npcs.models.fields import check_in, created_at
from worlds.choices import BuildPhase, VillageType
from worlds.models.base import WorldModel, validate_npc_exists
from worlds.models.village import Village


def validate_resource_priority(value) -> None:
    """The four resources, each with a distinct rank 1-4: {"wood": 1, "clay": 2, "iron": 3, "wheat": 4}."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise ValidationError("Resource priority must be a JSON object of resource ranks.", code="not_object")
    expected = set(Resource.values)
    missing, unknown = expected - value.keys(), value.keys() - expected
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(sorted(missing))}")
        if unknown:
            parts.append(f"unknown {', '.join(sorted(unknown))}")
        raise ValidationError(f"Resource priority must rank exactly wood, clay, iron and wheat ({'; '.join(parts)}).",
                              code="resources")
    ranks = list(value.values())
    if any(isinstance(r, bool) or not isinstance(r, int) or not 1 <= r <= 4 for r in ranks):
        raise ValidationError("Each resource's rank must be a whole number from 1 to 4.", code="rank_range")
    if len(set(ranks)) != 4:
        raise ValidationError("Each rank 1-4 must be used once: two resources cannot share a rank.",
                              code="rank_distinct")


def validate_json_object(value) -> None:
    """Queue strategies are JSON objects (or empty)."""
    if value is not None and not isinstance(value, dict):
        raise ValidationError("Must be a JSON object, e.g. {\"max_queue\": 2}.", code="not_object")


class NPCVillageConfig(WorldModel):
    """The engine's settings for one NPC village: specialisation, build plan, resources, military."""

    village = models.OneToOneField(Village, on_delete=models.DB_CASCADE, primary_key=True,
                                   db_column="village_id", related_name="npc_config")
    npc_id = models.IntegerField(validators=[validate_npc_exists],
                                 help_text="global npcs.id (another database: checked by the application)")

    village_type = models.CharField(max_length=50, null=True, blank=True, choices=VillageType.choices)
    build_template_name = models.CharField(max_length=100, null=True, blank=True)
    current_build_phase = models.CharField(max_length=50, null=True, blank=True, choices=BuildPhase.choices)

    auto_build_enabled = models.BooleanField(default=True, db_default=True)
    next_scheduled_build = models.DateTimeField(null=True, blank=True)
    build_queue_strategy = models.JSONField(null=True, blank=True, validators=[validate_json_object])

    resource_priority = models.JSONField(null=True, blank=True, validators=[validate_resource_priority],
                                         help_text='{"wood": 1, "clay": 2, "iron": 3, "wheat": 4}')
    warehouse_reserve = models.IntegerField(default=5000, db_default=5000, help_text="kept in reserve")

    troop_training_enabled = models.BooleanField(default=True, db_default=True)
    training_queue_strategy = models.JSONField(null=True, blank=True, validators=[validate_json_object])
    auto_raid_enabled = models.BooleanField(default=False, db_default=False)

    created_at = created_at()
    updated_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "npc_village_config"
        verbose_name = "NPC village configuration"
        ordering = ["village_id"]
        constraints = [check_in("npc_village_config", "village_type", VillageType, "Village type")]
        indexes = [
            models.Index(fields=["npc_id"], name="idx_npc_village_npc"),
            models.Index(fields=["village_type"], name="idx_npc_village_type"),
        ]

    def __str__(self) -> str:
        return f"NPC {self.npc_id}'s village {self.village_id}"

    @property
    def resources_by_priority(self) -> list[str]:
        """Resource names, most wanted first (empty when no valid priority is set)."""
        priority = self.resource_priority
        try:
            validate_resource_priority(priority)
        except ValidationError:
            return []
        return sorted(priority, key=priority.get) if priority else []

    def save(self, *args, **kwargs):
        self.updated_at = Now()
        super().save(*args, **kwargs)
