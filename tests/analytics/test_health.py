"""The time-series store's health checks (analytics/health.py)."""

import pytest

from analytics import health

pytestmark = pytest.mark.django_db(databases="__all__")


def test_metrics_freshness_lag_and_fallback(native_only, raw_sql):
    """On the analytics app's own tables (the native fallback here: no TimescaleDB)."""
    timescale = health.check_timescaledb()
    assert timescale.status == "ok" and "fallback" in timescale.message
    raw_sql("TRUNCATE npc_metrics, npc_metrics_hourly_by_world")
    assert health.check_metrics_freshness().message == "no metrics ingested yet"
    raw_sql("INSERT INTO npc_metrics (time, npc_id, world_id) VALUES (now(), 1, 'demo')")
    assert health.check_metrics_freshness().status == "error"  # samples, empty aggregate
    raw_sql("INSERT INTO npc_metrics_hourly_by_world (hour, npc_id, world_id) "
            "VALUES (date_trunc('hour', now()) - interval '6 hours', 1, 'demo')")
    stale = health.check_metrics_freshness()
    assert stale.status == "error" and "behind" in stale.message
    raw_sql("INSERT INTO npc_metrics_hourly_by_world (hour, npc_id, world_id) "
            "VALUES (date_trunc('hour', now()), 1, 'demo')")
    assert health.check_metrics_freshness().status == "ok"


@pytest.mark.django_db(transaction=True)
def test_timescaledb_health_reads_the_watermark_and_the_policy_jobs(timescale_only, clean_metrics, raw_sql):
    """Lag from the materialisation watermark (never max(hour) of the real-time view); job status from job_stats."""
    import datetime

    from django.utils import timezone

    from analytics.services import metrics_hourly_refresh

    raw_sql("INSERT INTO npc_metrics (time, npc_id, world_id) "
            "VALUES (now(), 1, 'w'), (now() - interval '2 hours', 1, 'w')")
    metrics_hourly_refresh()  # materialises every complete hour; the current one stays real-time
    fresh = health.check_metrics_freshness()
    assert fresh.status == "ok" and "materialised" in fresh.message, fresh.message
    # Samples 5 hours past the watermark: the real-time view's max(hour) shows them (it would say
    # "fresh"), the materialisation does not.
    raw_sql("INSERT INTO npc_metrics (time, npc_id, world_id) VALUES (now() + interval '5 hours', 1, 'w')")
    assert raw_sql("SELECT max(hour) > now() + interval '4 hours' FROM npc_metrics_hourly_by_world") == [(True,)]
    stale = health.check_metrics_freshness()
    assert stale.status == "error" and "behind" in stale.message, stale.message
    assert timezone.now() - datetime.timedelta(hours=2) < \
        datetime.datetime.fromisoformat(stale.details["latest_hour"]) + datetime.timedelta(hours=1)

    results = [r for r in health.check_metrics_policies()
               if r.details.get("proc") == "policy_refresh_continuous_aggregate"]
    jobs = dict(raw_sql("SELECT j.job_id, s.last_run_status FROM timescaledb_information.jobs j "
                        "LEFT JOIN timescaledb_information.job_stats s USING (job_id) "
                        "WHERE j.proc_name = 'policy_refresh_continuous_aggregate'"))
    assert {r.details["job_id"] for r in results} == set(jobs)
    for result in results:
        assert (result.status == "error") == (jobs[result.details["job_id"]] == "Failed"), result.message
    # A paused policy is reported as such.
    job_id = min(jobs)
    raw_sql("SELECT alter_job(%s, scheduled => false)", [job_id])
    try:
        paused = next(r for r in health.check_metrics_policies() if r.details["job_id"] == job_id)
        assert paused.status == "warning" and "paused" in paused.message
    finally:
        raw_sql("SELECT alter_job(%s, scheduled => true)", [job_id])
