"""The NPC profile (`npcs`) and its per-world state (`npc_world_state`)."""

from __future__ import annotations

import datetime
import math
import uuid

from django.contrib.postgres.functions import RandomUUID
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Now
from django.db.models.lookups import Range
from django.utils import timezone

from npcs.choices import BEHAVIOR_WEIGHTS, AllianceRole, Personality, Strategy, Tribe
from npcs.models.fields import bounded, check_in, check_range, int_default


def _weight_in_unit_range(key: str) -> Range:
    return Range(Cast(KT(f"behavior_template__{key}"), models.FloatField()), (0.0, 1.0))


def validate_behavior_template(value) -> None:
    """Every behaviour weight present must be a number in 0..1; lists must be lists of text."""
    if not isinstance(value, dict):
        raise ValidationError("The behaviour template must be a JSON object.", code="not_object")
    errors = []
    for key in BEHAVIOR_WEIGHTS:
        if key not in value or value[key] is None:
            continue
        weight = value[key]
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
            errors.append(
                ValidationError(f"{key} must be a number between 0 and 1, not {weight!r}.", code="weight_type")
            )
        elif not 0.0 <= weight <= 1.0:
            errors.append(ValidationError(f"{key} must be between 0 and 1 (got {weight}).", code="weight_range"))
    for key in ("building_priority", "goals"):
        items = value.get(key)
        if items is not None and (not isinstance(items, list) or not all(isinstance(i, str) and i for i in items)):
            errors.append(ValidationError(f"{key} must be a list of names.", code="list_type"))
    if errors:
        raise ValidationError(errors)


def idle_q(*, hours: float) -> models.Q:
    """The one idle-NPC rule: active, not paused, and no activity for more than `hours`.

    A `Q` so that counts can use it as an aggregate's filter; an hours value timedelta cannot
    hold (inf, nan, 1e20) raises OverflowError or ValueError.
    """
    cutoff = timezone.now() - datetime.timedelta(hours=hours)
    return models.Q(active=True, paused=False, last_active__lt=cutoff)


class NPCQuerySet(models.QuerySet):
    def idle(self, *, hours: float) -> NPCQuerySet:
        """NPCs idle for more than `hours` (see `idle_q`)."""
        return self.filter(idle_q(hours=hours))


class NPC(models.Model):
    """An AI-driven player: who it is, how it behaves, and how much it has done."""

    id = models.AutoField(primary_key=True)
    uuid = models.UUIDField(db_default=RandomUUID(), default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    tribe = models.CharField(max_length=50, choices=Tribe.choices)
    personality = models.CharField(max_length=50, choices=Personality.choices)
    behavior_template = models.JSONField(validators=[validate_behavior_template])

    llm_temperature = models.FloatField(default=0.7, db_default=0.7, validators=bounded(0.0, 2.0, "LLM temperature"),
                                        help_text="0.0 – 2.0")
    decision_cache_ttl = int_default(3600, help_text="seconds")
    strategic_update_frequency = int_default(86400, help_text="seconds (86400 = daily)")

    active = models.BooleanField(default=True, db_default=True)
    paused = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    last_active = models.DateTimeField(db_default=Now())
    last_decision = models.DateTimeField(null=True, blank=True)

    total_decisions_made = int_default(0)
    llm_calls_made = int_default(0)
    battles_fought = int_default(0)
    villages_founded = int_default(0)

    version = int_default(1, help_text="behaviour template version")
    notes = models.TextField(null=True, blank=True)

    objects = NPCQuerySet.as_manager()

    class Meta:
        db_table = "npcs"
        verbose_name = "NPC"
        verbose_name_plural = "NPCs"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["uuid"], name="npcs_uuid_key",
                                    violation_error_message="An NPC with this UUID already exists."),
            models.UniqueConstraint(fields=["name"], name="npcs_name_key",
                                    violation_error_message="An NPC with this name already exists."),
            check_in("npcs", "tribe", Tribe),
            check_in("npcs", "personality", Personality),
            check_range("npcs", "llm_temperature", 0.0, 2.0, "LLM temperature"),
            models.CheckConstraint(
                condition=_weight_in_unit_range("aggression"),
                name="valid_personality",
                violation_error_message="Aggression must be between 0 and 1.",
            ),
            # Seed flaw 4: the other weights were bounded nowhere (docs/schema.md).
            models.CheckConstraint(
                condition=models.Q(*[_weight_in_unit_range(k) for k in BEHAVIOR_WEIGHTS[1:]]),
                name="npcs_behavior_weights_range",
                violation_error_message="Every behaviour weight must be between 0 and 1.",
            ),
        ]
        indexes = [
            models.Index(fields=["active"], name="idx_npcs_active", condition=models.Q(active=True)),
            models.Index(fields=["personality"], name="idx_npcs_personality"),
            models.Index(fields=["-last_active"], name="idx_npcs_last_active"),
        ]

    def __str__(self) -> str:
        return self.name


class NPCWorldState(models.Model):
    """An NPC's game state in one world, aggregated over its villages (the engine refreshes it)."""

    id = models.AutoField(primary_key=True)
    npc = models.ForeignKey(NPC, on_delete=models.DB_CASCADE, db_index=False, related_name="world_states")
    world_id = models.CharField(max_length=50)

    player_id = models.IntegerField(help_text="ID of the NPC's player in the world database")
    rank = models.IntegerField(null=True, blank=True)
    total_population = int_default(0)
    village_count = int_default(0)

    total_wood = int_default(0)
    total_clay = int_default(0)
    total_iron = int_default(0)
    total_wheat = int_default(0)

    offensive_power = int_default(0)
    defensive_power = int_default(0)
    total_troops = int_default(0)

    production_rate_wood = int_default(0, help_text="per hour")
    production_rate_clay = int_default(0, help_text="per hour")
    production_rate_iron = int_default(0, help_text="per hour")
    production_rate_wheat = int_default(0, help_text="per hour")

    current_strategy = models.CharField(max_length=50, null=True, blank=True, choices=Strategy.choices)
    strategic_goal = models.TextField(null=True, blank=True)
    threat_level = models.FloatField(default=0.0, db_default=0.0, validators=bounded(0.0, 1.0, "Threat level"))

    alliance_id = models.IntegerField(null=True, blank=True)
    alliance_role = models.CharField(max_length=50, null=True, blank=True, choices=AllianceRole.choices)

    state_updated_at = models.DateTimeField(db_default=Now())
    last_login = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "npc_world_state"
        verbose_name = "NPC world state"
        ordering = ["world_id", "rank", "id"]
        constraints = [
            # Seed flaw 1: `id` is the primary key, (npc_id, world_id) stays unique and not null.
            models.UniqueConstraint(fields=["npc", "world_id"], name="npc_world_state_npc_id_world_id_key",
                                    violation_error_message="This NPC already has a state in this world."),
            models.UniqueConstraint(fields=["world_id", "player_id"], name="npc_world_state_world_id_player_id_key",
                                    violation_error_message="Another NPC already plays this player id in this world."),
            check_range("npc_world_state", "threat_level", 0.0, 1.0, "Threat level"),
        ]
        indexes = [
            models.Index(fields=["world_id"], name="idx_npc_world_state_world"),
            models.Index(fields=["world_id", "rank"], name="idx_npc_world_state_rank"),
            models.Index(fields=["-state_updated_at"], name="idx_npc_world_state_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.npc_id} in {self.world_id}"
