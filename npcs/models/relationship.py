"""What an NPC knows and feels about another player (`npc_relationships`)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now

from npcs.choices import RelationshipType, TreatyType
from npcs.models.fields import bounded, check_in, check_range, created_at, int_default


def validate_treaties(value) -> None:
    """`treaties_active`: a list of {type, start, end?, terms?} with ISO dates and end after start."""
    if not isinstance(value, list):
        raise ValidationError("Treaties must be a JSON list.", code="not_list")
    errors = []
    for n, treaty in enumerate(value, start=1):
        if not isinstance(treaty, dict):
            errors.append(ValidationError(f"Treaty {n} must be an object.", code="treaty_type"))
            continue
        if treaty.get("type") not in TreatyType.values:
            errors.append(ValidationError(
                f"Treaty {n}: type must be one of {', '.join(TreatyType.values)} (got {treaty.get('type')!r}).",
                code="treaty_kind"))
        dates = {}
        for key in ("start", "end"):
            raw = treaty.get(key)
            if raw is None:
                if key == "start":
                    errors.append(ValidationError(f"Treaty {n}: start date is required.", code="treaty_start"))
                continue
            try:
                dates[key] = datetime.date.fromisoformat(str(raw))
            except ValueError:
                errors.append(ValidationError(f"Treaty {n}: {key} {raw!r} is not a date (YYYY-MM-DD).",
                                              code="treaty_date"))
        if "start" in dates and "end" in dates and dates["end"] <= dates["start"]:
            errors.append(ValidationError(f"Treaty {n}: end must be after start.", code="treaty_order"))
    if errors:
        raise ValidationError(errors)


def validate_json_list(value) -> None:
    if not isinstance(value, list):
        raise ValidationError("Must be a JSON list.", code="not_list")


class NPCRelationship(models.Model):
    """Trust, history, treaties and intelligence about one target player in one world."""

    id = models.AutoField(primary_key=True)
    npc = models.ForeignKey("npcs.NPC", on_delete=models.DB_CASCADE, null=True, db_index=False,
                            related_name="relationships")
    target_player_id = models.IntegerField()
    world_id = models.CharField(max_length=50)

    trust_score = int_default(0, validators=bounded(-100, 100, "Trust score"),
                              help_text="-100 (hostile) … 100 (full trust)")
    relationship_type = models.CharField(max_length=50, null=True, blank=True, choices=RelationshipType.choices)

    total_interactions = int_default(0)
    last_interaction_type = models.CharField(max_length=100, null=True, blank=True)
    last_interaction_at = models.DateTimeField(null=True, blank=True)

    battles_won_against = int_default(0)
    battles_lost_against = int_default(0)
    resources_raided_from = int_default(0)
    resources_lost_to = int_default(0)

    treaties_active = models.JSONField(default=list, db_default=models.Value([], models.JSONField()),
                                       blank=True, validators=[validate_treaties])
    messages_sent = int_default(0)
    messages_received = int_default(0)

    known_villages = models.JSONField(default=list, db_default=models.Value([], models.JSONField()),
                                      blank=True, validators=[validate_json_list])
    known_army_composition = models.JSONField(null=True, blank=True)
    activity_pattern = models.JSONField(null=True, blank=True)

    predicted_next_action = models.CharField(max_length=100, null=True, blank=True)
    prediction_confidence = models.FloatField(null=True, blank=True)
    predicted_at = models.DateTimeField(null=True, blank=True)

    created_at = created_at()
    updated_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "npc_relationships"
        verbose_name = "relationship"
        ordering = ["-trust_score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["npc", "target_player_id", "world_id"],
                name="npc_relationships_npc_id_target_player_id_world_id_key",
                violation_error_message="This NPC already has a relationship with this player in this world.",
            ),
            check_range("npc_relationships", "trust_score", -100, 100, "Trust score"),
            check_in("npc_relationships", "relationship_type", RelationshipType, "Relationship type"),
        ]
        indexes = [
            models.Index(fields=["npc"], name="idx_relationships_npc"),
            models.Index(fields=["world_id", "target_player_id"], name="idx_relationships_target"),
            models.Index(fields=["relationship_type"], name="idx_relationships_type"),
            models.Index(fields=["-trust_score"], name="idx_relationships_trust"),
        ]

    def __str__(self) -> str:
        return f"NPC {self.npc_id} → player {self.target_player_id} ({self.world_id})"

    def save(self, *args, **kwargs):
        self.updated_at = Now()
        super().save(*args, **kwargs)
