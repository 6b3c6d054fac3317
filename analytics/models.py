"""The seed's time series: raw `npc_metrics` and its hourly aggregate `npc_metrics_hourly_by_world`.

The tables are built by raw SQL in the migrations (`analytics.storage`): a TimescaleDB hypertable
and continuous aggregate where the extension exists, monthly partitions and a rollup table
otherwise. Django sees both as models with composite primary keys, so the ORM can read them;
writes go through COPY (`analytics.ingest`) and the rollup refresh (`analytics.rollup`).
"""

from __future__ import annotations

from django.db import models


class NPCMetric(models.Model):
    """One sample of an NPC's economy, army and standing (`PRIMARY KEY (time, npc_id)` as the seed)."""

    pk = models.CompositePrimaryKey("time", "npc_id")
    time = models.DateTimeField()
    # No foreign key: the seed has none, a hypertable keeps none, and metrics outlive deleted NPCs.
    npc_id = models.IntegerField()
    world_id = models.CharField(max_length=50, null=True, blank=True)

    wood = models.IntegerField(null=True, blank=True)
    clay = models.IntegerField(null=True, blank=True)
    iron = models.IntegerField(null=True, blank=True)
    wheat = models.IntegerField(null=True, blank=True)

    wood_production = models.IntegerField(null=True, blank=True, help_text="per hour")
    clay_production = models.IntegerField(null=True, blank=True, help_text="per hour")
    iron_production = models.IntegerField(null=True, blank=True, help_text="per hour")
    wheat_production = models.IntegerField(null=True, blank=True, help_text="per hour")

    offensive_power = models.IntegerField(null=True, blank=True)
    defensive_power = models.IntegerField(null=True, blank=True)
    total_troops = models.IntegerField(null=True, blank=True)

    rank = models.IntegerField(null=True, blank=True)
    population = models.IntegerField(null=True, blank=True)
    villages = models.IntegerField(null=True, blank=True)

    economic_efficiency = models.FloatField(null=True, blank=True)
    military_efficiency = models.FloatField(null=True, blank=True)
    diplomatic_score = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = "npc_metrics"
        managed = False
        verbose_name = "NPC metric sample"
        ordering = ["-time", "npc_id"]

    def __str__(self) -> str:
        return f"NPC {self.npc_id} at {self.time:%Y-%m-%d %H:%M}"


class NPCMetricHourly(models.Model):
    """One NPC's hour in one world: sample count and averages (a continuous aggregate or rollup table).

    `total_wood_produced` is the seed's column, kept for compatibility: the SUM of per-hour
    production *rates* over the hour's samples, wood produced only at one sample an hour
    (seed flaw 8). Wood actually produced in the hour is `avg_wood_production` × 1 h.
    """

    pk = models.CompositePrimaryKey("hour", "npc_id", "world_id")
    hour = models.DateTimeField()
    npc_id = models.IntegerField()
    # NULL in the database when the engine wrote samples without a world (the key is UNIQUE NULLS
    # NOT DISTINCT there); declared NOT NULL only because Django refuses nullable key parts.
    world_id = models.CharField(max_length=50)
    samples = models.BigIntegerField()

    avg_population = models.FloatField(null=True)
    avg_rank = models.FloatField(null=True)
    total_wood_produced = models.BigIntegerField(null=True, help_text="sum of wood_production samples (seed)")

    avg_wood = models.FloatField(null=True)
    avg_clay = models.FloatField(null=True)
    avg_iron = models.FloatField(null=True)
    avg_wheat = models.FloatField(null=True)
    avg_wood_production = models.FloatField(null=True)
    avg_clay_production = models.FloatField(null=True)
    avg_iron_production = models.FloatField(null=True)
    avg_wheat_production = models.FloatField(null=True)
    avg_offensive_power = models.FloatField(null=True)
    avg_defensive_power = models.FloatField(null=True)
    avg_total_troops = models.FloatField(null=True)
    avg_villages = models.FloatField(null=True)
    avg_economic_efficiency = models.FloatField(null=True)
    avg_military_efficiency = models.FloatField(null=True)
    avg_diplomatic_score = models.FloatField(null=True)

    class Meta:
        db_table = "npc_metrics_hourly_by_world"
        managed = False
        verbose_name = "NPC metrics hour"
        ordering = ["-hour", "npc_id"]

    def __str__(self) -> str:
        return f"NPC {self.npc_id} hour {self.hour:%Y-%m-%d %H:00}"
