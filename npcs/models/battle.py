"""Battles NPCs fought (`npc_battle_history`)."""

from __future__ import annotations

from django.db import models

from npcs.choices import BattleResult, BattleRole, BattleType
from npcs.models.fields import check_in, created_at, int_default


class NPCBattle(models.Model):
    """One battle from an NPC's point of view, with its prediction and what it learned."""

    id = models.BigAutoField(primary_key=True)
    world_id = models.CharField(max_length=50)
    npc = models.ForeignKey("npcs.NPC", on_delete=models.DB_CASCADE, null=True, db_index=False,
                            related_name="battles")
    battle_id = models.IntegerField(null=True, blank=True)
    battle_type = models.CharField(max_length=50, null=True, blank=True, choices=BattleType.choices)
    attacker_id = models.IntegerField()
    defender_id = models.IntegerField()
    npc_role = models.CharField(max_length=50, null=True, blank=True, choices=BattleRole.choices)
    from_village_id = models.IntegerField(null=True, blank=True)
    to_village_id = models.IntegerField(null=True, blank=True)
    my_troops_sent = models.JSONField(null=True, blank=True)
    my_troops_survived = models.JSONField(null=True, blank=True)
    enemy_troops_estimated = models.JSONField(null=True, blank=True)
    enemy_troops_killed = models.JSONField(null=True, blank=True)
    result = models.CharField(max_length=50, null=True, blank=True, choices=BattleResult.choices)
    resources_gained = int_default(0)
    resources_lost = int_default(0)
    prediction_made = models.JSONField(null=True, blank=True)
    prediction_accuracy = models.FloatField(null=True, blank=True)
    tactical_lesson = models.TextField(null=True, blank=True)
    strategy_adjustment = models.JSONField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    created_at = created_at()

    class Meta:
        db_table = "npc_battle_history"
        verbose_name = "battle"
        ordering = ["-occurred_at", "-id"]
        constraints = [check_in("npc_battle_history", "battle_type", BattleType, "Battle type")]
        indexes = [
            models.Index(fields=["npc"], name="idx_battle_history_npc"),
            models.Index(fields=["result"], name="idx_battle_history_result"),
            models.Index(fields=["-occurred_at"], name="idx_battle_history_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.battle_type or 'battle'} #{self.battle_id or self.id}"
