"""Health checks of the time-series store (registered with npcadmin.health).

The place for every analytics check, e.g. TimescaleDB's background jobs."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connections

from npcadmin import health


def metrics_alias() -> str:
    """Where `npc_metrics` and its hourly aggregate live (`NPCADMIN_METRICS_DATABASE`)."""
    return getattr(settings, "NPCADMIN_METRICS_DATABASE", "default")


def _relation_exists(cursor, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return cursor.fetchone()[0]


@health.register(name="timescaledb")
def check_timescaledb() -> health.CheckResult:
    """TimescaleDB with `npc_metrics` as a hypertable, or the documented plain-PostgreSQL fallback."""
    name = "timescaledb"
    with connections[metrics_alias()].cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
        row = cursor.fetchone()
        metrics = _relation_exists(cursor, "npc_metrics")
    if not metrics:
        detail = f"TimescaleDB {row[0]} installed" if row else "TimescaleDB not installed"
        return health.CheckResult(name, health.WARNING, f"analytics not installed: no npc_metrics table ({detail})")
    if row:
        return health.CheckResult(name, health.OK, f"TimescaleDB {row[0]}", details={"timescaledb": row[0]})
    return health.CheckResult(name, health.OK, "fallback: npc_metrics is a plain PostgreSQL table "
                              "(TimescaleDB not installed)", details={"timescaledb": None})


@health.register(name="metrics_hourly")
def check_metrics_freshness() -> health.CheckResult:
    """The hourly aggregate keeps up with the raw metrics (lag ≤ `NPCADMIN_METRICS_MAX_LAG_MINUTES`)."""
    name = "metrics_hourly"
    max_lag = datetime.timedelta(minutes=getattr(settings, "NPCADMIN_METRICS_MAX_LAG_MINUTES", 120))
    with connections[metrics_alias()].cursor() as cursor:
        if not _relation_exists(cursor, "npc_metrics_hourly"):
            return health.CheckResult(name, health.WARNING, "analytics not installed: no npc_metrics_hourly")
        cursor.execute("SELECT max(hour) FROM npc_metrics_hourly")
        latest_hour = cursor.fetchone()[0]
        latest_raw = None
        if _relation_exists(cursor, "npc_metrics"):
            cursor.execute("SELECT max(time) FROM npc_metrics")
            latest_raw = cursor.fetchone()[0]
    details = {"latest_hour": latest_hour and latest_hour.isoformat(),
               "latest_sample": latest_raw and latest_raw.isoformat()}
    if latest_raw is None:
        return health.CheckResult(name, health.OK, "no metrics ingested yet", details=details)
    if latest_hour is None:
        return health.CheckResult(name, health.ERROR, "npc_metrics has samples but npc_metrics_hourly is empty: "
                                  "run `manage.py refresh_metrics_hourly`", details=details)
    # The bucket of the newest sample starts at most one hour before it.
    lag = latest_raw - (latest_hour + datetime.timedelta(hours=1))
    if lag > max_lag:
        return health.CheckResult(name, health.ERROR, f"npc_metrics_hourly is {lag} behind npc_metrics "
                                  f"(limit {max_lag}): run `manage.py refresh_metrics_hourly`", details=details)
    return health.CheckResult(name, health.OK, f"aggregate up to {latest_hour:%Y-%m-%d %H:%M}", details=details)
