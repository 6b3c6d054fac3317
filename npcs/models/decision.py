"""The decision log (`npc_decisions`): what an NPC decided, how, and how it turned out."""

from __future__ import annotations

from django.db import models

from npcs.choices import DecisionType
from npcs.models.fields import check_in, created_at


class NPCDecision(models.Model):
    """One decision, with the rule-based recommendation, the LLM exchange and the outcome."""

    id = models.BigAutoField(primary_key=True)
    npc = models.ForeignKey("npcs.NPC", on_delete=models.DB_CASCADE, null=True, db_index=False,
                            related_name="decisions")
    world_id = models.CharField(max_length=50)
    decision_type = models.CharField(max_length=100, choices=DecisionType.choices)
    situation_summary = models.TextField()

    used_llm = models.BooleanField(default=False, db_default=False)
    llm_prompt = models.TextField(null=True, blank=True)
    llm_response = models.TextField(null=True, blank=True)
    llm_latency_ms = models.IntegerField(null=True, blank=True)

    rule_based_recommendation = models.JSONField(null=True, blank=True)
    final_decision = models.JSONField()

    executed = models.BooleanField(default=False, db_default=False)
    execution_started_at = models.DateTimeField(null=True, blank=True)
    execution_completed_at = models.DateTimeField(null=True, blank=True)
    execution_result = models.JSONField(null=True, blank=True)

    outcome_measured = models.BooleanField(default=False, db_default=False)
    outcome_success = models.BooleanField(null=True, blank=True)
    outcome_data = models.JSONField(null=True, blank=True)

    decision_latency_ms = models.IntegerField(null=True, blank=True)
    decision_confidence = models.FloatField(null=True, blank=True)

    created_at = created_at()

    class Meta:
        db_table = "npc_decisions"
        verbose_name = "decision"
        ordering = ["-created_at", "-id"]
        constraints = [check_in("npc_decisions", "decision_type", DecisionType, "Decision type")]
        indexes = [
            models.Index(fields=["npc"], name="idx_decisions_npc"),
            models.Index(fields=["decision_type"], name="idx_decisions_type"),
            models.Index(fields=["used_llm"], name="idx_decisions_llm", condition=models.Q(used_llm=True)),
            models.Index(fields=["-created_at"], name="idx_decisions_created"),
        ]

    def __str__(self) -> str:
        return f"{self.decision_type} decision #{self.id}"
