"""The time-series store's health checks (analytics/health.py)."""

import pytest

from analytics import health

pytestmark = pytest.mark.django_db(databases="__all__")


def test_metrics_freshness_lag_and_fallback(raw_sql):
    """On the analytics app's own tables (the native fallback here: no TimescaleDB)."""
    timescale = health.check_timescaledb()
    assert timescale.status == "ok" and "fallback" in timescale.message
    raw_sql("TRUNCATE npc_metrics, npc_metrics_hourly")
    assert health.check_metrics_freshness().message == "no metrics ingested yet"
    raw_sql("INSERT INTO npc_metrics (time, npc_id, world_id) VALUES (now(), 1, 'demo')")
    assert health.check_metrics_freshness().status == "error"  # samples, empty aggregate
    raw_sql("INSERT INTO npc_metrics_hourly (hour, npc_id, world_id) "
            "VALUES (date_trunc('hour', now()) - interval '6 hours', 1, 'demo')")
    stale = health.check_metrics_freshness()
    assert stale.status == "error" and "behind" in stale.message
    raw_sql("INSERT INTO npc_metrics_hourly (hour, npc_id, world_id) VALUES (date_trunc('hour', now()), 1, 'demo')")
    assert health.check_metrics_freshness().status == "ok"
