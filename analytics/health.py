"""Health checks of the time-series store (registered with npcadmin.health).

The place for every analytics check, e.g. TimescaleDB's background jobs."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import DatabaseError, connections, transaction

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


def _is_timescale(cursor) -> bool:
    cursor.execute("SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE c.relname = 'npc_metrics_hourly_by_world' AND n.nspname = current_schema()")
    row = cursor.fetchone()
    return bool(row) and row[0] in ("v", "m")


@health.register(name="metrics_hourly")
def check_metrics_freshness() -> health.CheckResult:
    """The hourly aggregate keeps up with the raw metrics (lag ≤ `NPCADMIN_METRICS_MAX_LAG_MINUTES`).

    Native: the newest hour of the rollup table. TimescaleDB: the materialisation watermark of the
    continuous aggregate (`_timescaledb_functions.cagg_watermark`), never max(hour) of the view,
    which real-time aggregation answers from raw samples and so always looks fresh.
    """
    name = "metrics_hourly"
    max_lag = datetime.timedelta(minutes=getattr(settings, "NPCADMIN_METRICS_MAX_LAG_MINUTES", 120))
    with connections[metrics_alias()].cursor() as cursor:
        if not _relation_exists(cursor, "npc_metrics_hourly_by_world"):
            return health.CheckResult(name, health.WARNING, "analytics not installed: no npc_metrics_hourly_by_world")
        timescale = _is_timescale(cursor)
        if timescale:
            from analytics.rollup import timescale_watermark

            watermark = timescale_watermark(metrics_alias())
            latest_hour = watermark - datetime.timedelta(hours=1) if watermark else None
        else:
            cursor.execute("SELECT max(hour) FROM npc_metrics_hourly_by_world")
            latest_hour = cursor.fetchone()[0]
        latest_raw = earliest_raw = None
        if _relation_exists(cursor, "npc_metrics"):
            cursor.execute("SELECT max(time), min(time) FROM npc_metrics")
            latest_raw, earliest_raw = cursor.fetchone()
    what = "materialised" if timescale else "rolled up"
    details = {"latest_hour": latest_hour and latest_hour.isoformat(),
               "latest_sample": latest_raw and latest_raw.isoformat(), "backend": "timescaledb" if timescale
               else "native"}
    if latest_raw is None:
        return health.CheckResult(name, health.OK, "no metrics ingested yet", details=details)
    if latest_hour is None and timescale and earliest_raw is not None and \
            earliest_raw >= latest_raw - max_lag - datetime.timedelta(hours=1):
        # Every sample is within the hours real-time aggregation answers: nothing to materialise yet.
        return health.CheckResult(name, health.OK, "every sample is recent (real-time aggregation)", details=details)
    if latest_hour is None:
        return health.CheckResult(name, health.ERROR, f"npc_metrics has samples but nothing is {what} yet: "
                                  "run `manage.py refresh_metrics_hourly`", details=details)
    # The bucket of the newest sample starts at most one hour before it.
    lag = latest_raw - (latest_hour + datetime.timedelta(hours=1))
    # TimescaleDB's policy leaves the last hour (end_offset) to real-time aggregation.
    allowed = max_lag + (datetime.timedelta(hours=1) if timescale else datetime.timedelta(0))
    if lag > allowed:
        return health.CheckResult(name, health.ERROR, f"npc_metrics_hourly is {lag} behind npc_metrics "
                                  f"({what}; limit {allowed}): run `manage.py refresh_metrics_hourly`",
                                  details=details)
    return health.CheckResult(name, health.OK, f"aggregate {what} up to {latest_hour:%Y-%m-%d %H:%M}",
                              details=details)


@health.register(name="metrics_policies")
def check_metrics_policies() -> list[health.CheckResult] | health.CheckResult:
    """TimescaleDB's background jobs on npc_metrics: last run status and last successful finish.

    A policy whose last run failed is an error (its message says why, from job_errors when
    readable); one that has not succeeded for 3 schedule intervals is lagging.
    """
    name = "metrics_policies"
    with connections[metrics_alias()].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
        if cursor.fetchone() is None or not _is_timescale(cursor):
            return _native_policies(name)
        cursor.execute("""
            SELECT j.job_id, j.proc_name, coalesce(j.hypertable_name, '') AS relation, j.schedule_interval,
                   j.scheduled, s.last_run_status,
                   NULLIF(s.last_successful_finish, '-infinity') AS last_successful_finish, NULL,
                   s.total_failures, s.total_runs, now() AS now
            FROM timescaledb_information.jobs j
            LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
            WHERE j.proc_name IN ('policy_refresh_continuous_aggregate', 'policy_compression', 'policy_retention')
            ORDER BY j.job_id
        """)
        jobs = cursor.fetchall()
        errors: dict[int, str] = {}
        try:
            with transaction.atomic(using=metrics_alias()):
                cursor.execute("SELECT DISTINCT ON (job_id) job_id, err_message "
                               "FROM timescaledb_information.job_errors ORDER BY job_id, finish_time DESC")
                errors = dict(cursor.fetchall())
        except DatabaseError:
            pass
    results = []
    for (job_id, proc, relation, interval, scheduled, status, last_ok, _started, failures, runs, now) in jobs:
        label = f"{name}:{job_id}"
        details = {"job_id": job_id, "proc": proc, "relation": relation, "last_run_status": status,
                   "last_successful_finish": last_ok and last_ok.isoformat(), "total_failures": failures,
                   "total_runs": runs}
        what = f"job {job_id} ({proc} on {relation})"
        if not scheduled:
            results.append(health.CheckResult(label, health.WARNING, f"{what} is paused", details=details))
        elif status == "Failed":
            reason = errors.get(job_id)
            results.append(health.CheckResult(
                label, health.ERROR, f"{what}: last run failed{': ' + reason if reason else ''} "
                f"({failures} of {runs} runs failed; last success "
                f"{last_ok.isoformat() if last_ok else 'never'})", details=details))
        elif runs and (last_ok is None or now - last_ok > 3 * interval):
            results.append(health.CheckResult(
                label, health.ERROR, f"{what} is lagging: last success {last_ok or 'never'}, "
                f"schedule every {interval}", details=details))
        else:
            results.append(health.CheckResult(label, health.OK, f"{what}: {status or 'not run yet'}",
                                              details=details))
    results += _settings_drift(name)
    return results or health.CheckResult(name, health.WARNING, "TimescaleDB without any policy on npc_metrics")


def _settings_drift(name: str) -> list[health.CheckResult]:
    """The compression/retention settings differ from the policies in place (not applied yet)."""
    from analytics import policies

    try:
        plan = policies.plan(using=metrics_alias())
    except ValueError as exc:
        return [health.CheckResult(f"{name}:settings", health.ERROR, str(exc))]
    return [health.CheckResult(f"{name}:settings", health.WARNING,
                               f"not applied: {change.text} (run `manage.py metrics_policies`)")
            for change in plan.pending]


def _native_policies(name: str) -> health.CheckResult:
    """Native storage: no background jobs; months past NPCADMIN_METRICS_RETAIN waiting to be dropped."""
    from analytics import policies

    base = "native storage: no background policies (refresh_metrics_hourly and metrics_policies run from cron)"
    with connections[metrics_alias()].cursor() as cursor:
        if not _relation_exists(cursor, "npc_metrics"):
            return health.CheckResult(name, health.OK, base)
    try:
        plan = policies.plan(using=metrics_alias())
    except ValueError as exc:
        return health.CheckResult(name, health.ERROR, str(exc))
    if plan.expired:
        return health.CheckResult(name, health.WARNING, f"{len(plan.expired)} months of npc_metrics past "
                                  f"NPCADMIN_METRICS_RETAIN={plan.retain} days: run `manage.py metrics_policies`",
                                  details={"expired": [n for n, _ in plan.expired]})
    return health.CheckResult(name, health.OK, base + (f"; raw samples kept {plan.retain} days" if plan.retain
                                                       else "; raw samples kept for ever"))
