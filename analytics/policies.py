"""Compression and retention of raw `npc_metrics` samples (`manage.py metrics_policies`).

Two settings, in days, 0 = off: `NPCADMIN_METRICS_COMPRESS_AFTER` and `NPCADMIN_METRICS_RETAIN`,
both off by default (an operator opts in; 7 and 90 are the values docs/scaling.md suggests).
Only the *raw* samples expire: the hourly aggregates (`npc_metrics_hourly`,
`npc_metrics_hourly_by_world`, `npc_metrics_world_hourly`) keep every hour, so the dashboards'
hourly and longer charts outlive the raw data
(docs/scaling.md §5); the 5-minute charts of short ranges and the seed's plain view on native
storage read raw samples and go blank for expired ranges.

* **TimescaleDB**: `add_compression_policy` (segmentby `npc_id`, orderby `time DESC`: one NPC's
  chart reads few compressed segments) and `add_retention_policy` on `npc_metrics`, run by the
  extension's background jobs. Idempotent: a policy with the wanted interval is kept, another
  interval replaces it, 0 removes it. `run_now` also does at once what the jobs would do
  (`compress_chunk` / `drop_chunks`), which does not depend on the background workers.
  `drop_chunks` logs an invalidation of what it drops; refreshes (analytics/rollup.py) start at the
  oldest remaining raw chunk, so the continuous aggregates keep the dropped hours.
* **native**: no compression (reported as not available). Retention detaches and drops every
  monthly partition `npc_metrics_YYYY_MM` that ends on or before now − RETAIN, after rolling up
  every dirty hour (so the rollup holds the month completely) and forgetting dirty marks of the
  dropped month (a refresh would otherwise recompute those hours from nothing). Rows in the
  DEFAULT partition are left alone (`refresh_metrics_hourly` creates their months first).

The retention must exceed the continuous aggregates' 3-day refresh window (`MIN_RETAIN_DAYS`):
a refresh over hours whose raw samples are gone would empty them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from psycopg import sql

from analytics import partitions, storage
from npcs.partitions import add_months

# The refresh policy's start_offset (analytics.storage) plus a day of margin.
MIN_RETAIN_DAYS = 4
SEGMENT_BY = "npc_id"
ORDER_BY = "time DESC"

KEEP, ADD, REPLACE, REMOVE, UNAVAILABLE, DROP, NOTHING = (
    "keep", "add", "replace", "remove", "unavailable", "drop", "nothing")


@dataclass(frozen=True)
class Change:
    kind: str  # compression | retention
    action: str  # one of the constants above
    text: str
    destructive: bool = False


@dataclass
class Plan:
    backend: str
    compress_after: int
    retain: int
    changes: list[Change] = field(default_factory=list)
    expired: list[tuple[str, datetime.date]] = field(default_factory=list)  # native partitions (name, month)
    cutoff: datetime.datetime | None = None

    @property
    def destructive(self) -> bool:
        return any(c.destructive for c in self.changes)

    @property
    def pending(self) -> list[Change]:
        """What applying would change (an in-sync installation: nothing)."""
        return [c for c in self.changes if c.action in (ADD, REPLACE, REMOVE, DROP)]


def configured() -> tuple[int, int]:
    return (int(getattr(settings, "NPCADMIN_METRICS_COMPRESS_AFTER", 0) or 0),
            int(getattr(settings, "NPCADMIN_METRICS_RETAIN", 0) or 0))


def validate(compress_after: int, retain: int) -> None:
    if compress_after < 0 or retain < 0:
        raise ValueError("NPCADMIN_METRICS_COMPRESS_AFTER and NPCADMIN_METRICS_RETAIN are days, 0 or more")
    if 0 < retain < MIN_RETAIN_DAYS:
        raise ValueError(f"NPCADMIN_METRICS_RETAIN={retain}: keep at least {MIN_RETAIN_DAYS} days (the "
                         "continuous aggregates re-read the last 3 days of raw samples)")


def timescale_jobs(using: str = "default") -> dict[str, tuple[int, datetime.timedelta]]:
    """{'compression'|'retention': (job_id, interval)} of the policies on npc_metrics."""
    with connections[using].cursor() as cursor:
        cursor.execute("""
            SELECT proc_name, job_id,
                   coalesce(config->>'compress_after', config->>'drop_after')::interval
            FROM timescaledb_information.jobs
            WHERE hypertable_schema = current_schema() AND hypertable_name = 'npc_metrics'
              AND proc_name IN ('policy_compression', 'policy_retention')
            ORDER BY job_id""")
        return {proc.removeprefix("policy_"): (job_id, interval) for proc, job_id, interval in cursor.fetchall()}


def compression_enabled(using: str = "default") -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT compression_enabled FROM timescaledb_information.hypertables "
                       "WHERE hypertable_schema = current_schema() AND hypertable_name = 'npc_metrics'")
        row = cursor.fetchone()
    return bool(row and row[0])


def _days(interval: datetime.timedelta) -> str:
    return f"{interval.days} days" if interval == datetime.timedelta(days=interval.days) else str(interval)


def _timescale_change(kind: str, wanted: int, current) -> Change:
    setting = "NPCADMIN_METRICS_COMPRESS_AFTER" if kind == "compression" else "NPCADMIN_METRICS_RETAIN"
    what = "compress chunks older than" if kind == "compression" else "drop raw chunks older than"
    destructive = kind == "retention"
    if not wanted:
        if current is None:
            return Change(kind, NOTHING, f"{kind}: no policy ({setting}=0)")
        return Change(kind, REMOVE, f"{kind}: remove policy (job {current[0]}, {_days(current[1])}; {setting}=0)")
    interval = datetime.timedelta(days=wanted)
    if current is None:
        return Change(kind, ADD, f"{kind}: add policy, {what} {wanted} days", destructive)
    if current[1] == interval:
        return Change(kind, KEEP, f"{kind}: policy in place (job {current[0]}, {what} {wanted} days)")
    return Change(kind, REPLACE, f"{kind}: replace policy (job {current[0]}, {_days(current[1])}) by "
                  f"{what} {wanted} days", destructive and interval < current[1])


def expired_months(cutoff: datetime.datetime, using: str = "default") -> list[datetime.date]:
    """Native: months of npc_metrics whose partition ends on or before `cutoff`."""
    cut = cutoff.astimezone(datetime.UTC)
    return sorted(m for m in partitions.existing_months(using)
                  if datetime.datetime.combine(add_months(m, 1), datetime.time(), datetime.UTC) <= cut)


def plan(*, compress_after: int | None = None, retain: int | None = None,
         now: datetime.datetime | None = None, using: str = "default") -> Plan:
    """What applying the settings (or the given days) would change; changes nothing."""
    default_compress, default_retain = configured()
    compress_after = default_compress if compress_after is None else compress_after
    retain = default_retain if retain is None else retain
    validate(compress_after, retain)
    now = now or timezone.now()
    backend = storage.metrics_backend(using)
    result = Plan(backend, compress_after, retain)
    if backend == storage.TIMESCALEDB:
        jobs = timescale_jobs(using)
        result.changes.append(_timescale_change("compression", compress_after, jobs.get("compression")))
        result.changes.append(_timescale_change("retention", retain, jobs.get("retention")))
        if retain:
            result.cutoff = now - datetime.timedelta(days=retain)
        return result
    result.changes.append(Change(
        "compression", UNAVAILABLE, "compression: not available on native storage (plain PostgreSQL "
        f"partitions; NPCADMIN_METRICS_COMPRESS_AFTER={compress_after} has no effect)"))
    if not retain:
        result.changes.append(Change("retention", NOTHING, "retention: keep every month (NPCADMIN_METRICS_RETAIN=0)"))
        return result
    result.cutoff = now - datetime.timedelta(days=retain)
    result.expired = [(partitions.partition_name(m), m) for m in expired_months(result.cutoff, using)]
    if result.expired:
        names = ", ".join(name for name, _ in result.expired)
        result.changes.append(Change("retention", DROP, f"retention: detach and drop {names} (raw samples "
                                     f"before {result.cutoff:%Y-%m-%d}; the hourly rollup keeps them)", True))
    else:
        result.changes.append(Change("retention", NOTHING, f"retention: no month ends before "
                                     f"{result.cutoff:%Y-%m-%d %H:%M} UTC ({retain} days)"))
    return result


def apply(current: Plan, *, run_now: bool = False, detach_only: bool = False, using: str = "default") -> list[str]:
    """Make the database match `current` (a `plan()`); returns what was done, line by line."""
    if current.backend == storage.TIMESCALEDB:
        return _apply_timescale(current, run_now, using)
    return _apply_native(current, detach_only, using)


def _apply_timescale(current: Plan, run_now: bool, using: str) -> list[str]:
    done = []
    by_kind = {c.kind: c for c in current.changes}
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        compression = by_kind["compression"]
        if compression.action in (ADD, REPLACE) and not compression_enabled(using):
            cursor.execute(sql.SQL(
                "ALTER TABLE npc_metrics SET (timescaledb.compress, timescaledb.compress_segmentby = {}, "
                "timescaledb.compress_orderby = {})").format(sql.Literal(SEGMENT_BY), sql.Literal(ORDER_BY)))
            done.append(f"compression enabled on npc_metrics (segmentby {SEGMENT_BY}, orderby {ORDER_BY})")
        if compression.action in (REPLACE, REMOVE):
            cursor.execute("SELECT remove_compression_policy('npc_metrics', if_exists => true)")
        if compression.action in (ADD, REPLACE):
            cursor.execute("SELECT add_compression_policy('npc_metrics', compress_after => %s)",
                           [datetime.timedelta(days=current.compress_after)])
        retention = by_kind["retention"]
        if retention.action in (REPLACE, REMOVE):
            cursor.execute("SELECT remove_retention_policy('npc_metrics', if_exists => true)")
        if retention.action in (ADD, REPLACE):
            cursor.execute("SELECT add_retention_policy('npc_metrics', drop_after => %s)",
                           [datetime.timedelta(days=current.retain)])
    done += [c.text for c in current.pending]
    if run_now:
        done += run_timescale_now(current, using)
        from analytics.cache import bump_cache_version

        bump_cache_version()
    return done


def run_timescale_now(current: Plan, using: str = "default") -> list[str]:
    """Do now what the background jobs would: compress old chunks, drop expired ones."""
    done = []
    with connections[using].cursor() as cursor:
        if current.compress_after and compression_enabled(using):
            cursor.execute("SELECT count(compress_chunk(c, if_not_compressed => true)) "
                           "FROM show_chunks('npc_metrics', older_than => %s) c",
                           [datetime.timedelta(days=current.compress_after)])
            done.append(f"compressed {cursor.fetchone()[0]} chunks older than {current.compress_after} days")
        if current.retain:
            cursor.execute("SELECT count(*) FROM drop_chunks('npc_metrics', older_than => %s)",
                           [datetime.timedelta(days=current.retain)])
            done.append(f"dropped {cursor.fetchone()[0]} raw chunks older than {current.retain} days "
                        "(the continuous aggregates keep their hours)")
    return done


def _apply_native(current: Plan, detach_only: bool, using: str) -> list[str]:
    if not current.expired:
        return []
    from analytics.services import metrics_hourly_refresh

    # Roll every dirty hour up first: the dropped months must be complete in the rollup.
    metrics_hourly_refresh(using=using)
    done = []
    for name, month in current.expired:
        start = datetime.datetime.combine(month, datetime.time(), datetime.UTC)
        end = datetime.datetime.combine(add_months(month, 1), datetime.time(), datetime.UTC)
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(
                sql.Identifier(partitions.PARENT), sql.Identifier(name)))
            if not detach_only:
                cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
            # A write to the month since the refresh: its hour would be recomputed from no samples.
            cursor.execute("DELETE FROM npc_metrics_hourly_dirty WHERE hour >= %s AND hour < %s", [start, end])
        done.append(f"{'detached' if detach_only else 'dropped'} {name}")
    from analytics.cache import bump_cache_version

    bump_cache_version()
    return done
