"""Trades NPCs made (`npc_trade_history`)."""

from __future__ import annotations

from django.db import models

from npcs.choices import Resource, TradeStatus, TradeType
from npcs.models.fields import created_at


class NPCTrade(models.Model):
    """One market trade with its terms, the market rate at the time and the margin."""

    id = models.BigAutoField(primary_key=True)
    world_id = models.CharField(max_length=50)
    npc = models.ForeignKey("npcs.NPC", on_delete=models.DB_CASCADE, null=True, db_index=False,
                            related_name="trades")
    trade_id = models.IntegerField(null=True, blank=True)
    trade_type = models.CharField(max_length=50, null=True, blank=True, choices=TradeType.choices)
    offered_resource = models.CharField(max_length=50, null=True, blank=True, choices=Resource.choices)
    offered_amount = models.IntegerField(null=True, blank=True)
    requested_resource = models.CharField(max_length=50, null=True, blank=True, choices=Resource.choices)
    requested_amount = models.IntegerField(null=True, blank=True)
    exchange_rate = models.FloatField(null=True, blank=True)
    market_rate_at_time = models.FloatField(null=True, blank=True)
    profit_margin = models.FloatField(null=True, blank=True)
    partner_id = models.IntegerField(null=True, blank=True)
    partner_trustworthiness = models.FloatField(null=True, blank=True)
    trade_status = models.CharField(max_length=50, null=True, blank=True, choices=TradeStatus.choices)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at()

    class Meta:
        db_table = "npc_trade_history"
        verbose_name = "trade"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["npc"], name="idx_trade_history_npc"),
            models.Index(fields=["trade_status"], name="idx_trade_history_status"),
            models.Index(fields=["-created_at"], name="idx_trade_history_created"),
        ]

    def __str__(self) -> str:
        return f"trade #{self.trade_id or self.id}"
