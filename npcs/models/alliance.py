"""Alliances NPCs belong to or lead (`npc_alliances`)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now

from npcs.models.fields import created_at, int_default

STANCE_KEYS = ("allied_alliances", "enemy_alliances", "nap_alliances")


def validate_diplomatic_stance(value) -> None:
    """{allied_alliances, enemy_alliances, nap_alliances}: lists of alliance ids, no id in two lists."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise ValidationError("Diplomatic stance must be a JSON object.", code="not_object")
    errors = []
    unknown = sorted(set(value) - set(STANCE_KEYS))
    if unknown:
        errors.append(ValidationError(f"Unknown keys {unknown}; allowed: {', '.join(STANCE_KEYS)}.", code="keys"))
    seen: dict[int, str] = {}
    for key in STANCE_KEYS:
        ids = value.get(key, [])
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            errors.append(ValidationError(f"{key} must be a list of alliance ids.", code="ids"))
            continue
        for alliance in ids:
            if alliance in seen and seen[alliance] != key:
                errors.append(ValidationError(f"Alliance {alliance} is in both {seen[alliance]} and {key}.",
                                              code="conflict"))
            seen[alliance] = key
    if errors:
        raise ValidationError(errors)


class NPCAlliance(models.Model):
    """An alliance of one world with NPC members, possibly led by an NPC."""

    id = models.AutoField(primary_key=True)
    world_id = models.CharField(max_length=50)
    alliance_id = models.IntegerField(help_text="ID of the alliance in the world database")
    name = models.CharField(max_length=100)
    tag = models.CharField(max_length=10)
    total_members = int_default(0)
    npc_members = int_default(0)
    # Seed flaw 5: no ON DELETE, so the database refuses to delete a leading NPC (NO ACTION).
    npc_leader = models.ForeignKey("npcs.NPC", on_delete=models.PROTECT, null=True, blank=True, db_index=False,
                                   related_name="led_alliances")
    alliance_strategy = models.CharField(max_length=50, null=True, blank=True)
    diplomatic_stance = models.JSONField(null=True, blank=True, validators=[validate_diplomatic_stance])
    total_rank = models.IntegerField(null=True, blank=True)
    total_population = models.IntegerField(null=True, blank=True)
    total_villages = models.IntegerField(null=True, blank=True)
    created_at = created_at()
    updated_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "npc_alliances"
        verbose_name = "alliance"
        ordering = ["world_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["world_id", "alliance_id"], name="npc_alliances_world_id_alliance_id_key",
                                    violation_error_message="This alliance id is already registered in this world."),
        ]
        indexes = [
            models.Index(fields=["world_id"], name="idx_alliances_world"),
            models.Index(fields=["npc_leader"], name="idx_alliances_leader",
                         condition=models.Q(npc_leader__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"[{self.tag}] {self.name}"

    def save(self, *args, **kwargs):
        self.updated_at = Now()
        super().save(*args, **kwargs)
