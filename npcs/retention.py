"""Deleting memories past their `expires_at`, in small batches that never block the engine.

Each batch is one short transaction of two statements::

    SELECT id, occurred_at FROM npc_memory WHERE expires_at < :cutoff
    ORDER BY expires_at LIMIT :n FOR UPDATE SKIP LOCKED;            -- claim (partial index)
    DELETE FROM npc_memory WHERE id = ANY(:ids)
      AND occurred_at BETWEEN :first AND :last;                      -- primary key, pruned

`SKIP LOCKED` makes rows the engine is updating right now (and rows another copy of this job
has claimed) invisible to the batch instead of waited for, so two copies share the work
without counting a row twice or deadlocking, and the engine is never held up. The cutoff is
fixed when the run starts, so a run always ends. `lock_timeout` bounds the one wait left:
the short ACCESS EXCLUSIVE lock `memory_partitions` takes when it creates a partition.
Whole months past the retention window are better dropped as partitions (`memory_partitions`);
this job is for memories the engine gave an individual expiry.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from npcadmin import audit

CLAIM_BATCH_SQL = """
SELECT id, occurred_at FROM npc_memory
WHERE expires_at < %(cutoff)s
ORDER BY expires_at
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED
"""
# Two statements, not `DELETE ... USING (claimed rows)`: joined, the planner hash-joins the
# claimed rows against a sequential scan of every partition (the whole table, each batch).
# By value, the ids probe each partition's primary key and the occurred_at bounds prune
# the partitions the batch does not touch.
DELETE_CLAIMED_SQL = """
DELETE FROM npc_memory
WHERE id = ANY(%(ids)s) AND occurred_at >= %(first)s AND occurred_at <= %(last)s
"""
COUNT_SQL = "SELECT count(*) FROM npc_memory WHERE expires_at < %(cutoff)s"
LOCK_TIMEOUT = "2s"
MAX_LOCK_RETRIES = 3


@dataclass
class RetentionReport:
    """What one run deleted (or, in a dry run, found), and why it stopped."""

    cutoff: datetime.datetime
    deleted: int = 0
    batches: int = 0
    expired_found: int | None = None
    seconds: float = 0.0
    stopped: str = "done"  # done | max-seconds | signal | lock-timeout

    def summary(self) -> str:
        if self.expired_found is not None:
            return f"dry run: {self.expired_found} memories expired before {self.cutoff:%Y-%m-%d %H:%M:%S %Z}"
        rate = self.deleted / self.seconds if self.seconds else 0
        return (f"deleted {self.deleted} expired memories in {self.batches} batches, {self.seconds:.1f} s "
                f"({rate:.0f} rows/s); stopped: {self.stopped}")


def expired_memory_count(*, cutoff: datetime.datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(COUNT_SQL, {"cutoff": cutoff})
        return cursor.fetchone()[0]


def memory_delete_expired_batch(*, cutoff: datetime.datetime, limit: int) -> int:
    """Delete up to `limit` memories expired before `cutoff` in one short transaction; the count."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(CLAIM_BATCH_SQL, {"cutoff": cutoff, "limit": limit})
        claimed = cursor.fetchall()
        if not claimed:
            return 0
        moments = [row[1] for row in claimed]
        cursor.execute(DELETE_CLAIMED_SQL, {"ids": [row[0] for row in claimed], "first": min(moments),
                                            "last": max(moments)})
        return cursor.rowcount


def memory_retention_run(
    *,
    batch_size: int = 5000,
    max_seconds: float | None = None,
    dry_run: bool = False,
    pause: float = 0.0,
    stop: threading.Event | None = None,
    on_batch: Callable[[int, int], None] | None = None,
    now: datetime.datetime | None = None,
) -> RetentionReport:
    """Delete expired memories batch by batch until none is left, time is up or `stop` is set.

    `on_batch(deleted_in_batch, deleted_so_far)` is called after each batch (progress bars).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = RetentionReport(cutoff=now or timezone.now())
    started = time.monotonic()
    if dry_run:
        report.expired_found = expired_memory_count(cutoff=report.cutoff)
        report.seconds = time.monotonic() - started
        return report
    stop = stop or threading.Event()
    lock_failures = 0
    while True:
        if stop.is_set():
            report.stopped = "signal"
            break
        if max_seconds is not None and time.monotonic() - started >= max_seconds:
            report.stopped = "max-seconds"
            break
        try:
            deleted = memory_delete_expired_batch(cutoff=report.cutoff, limit=batch_size)
        except OperationalError as exc:
            if "lock timeout" not in str(exc):
                raise
            lock_failures += 1
            if lock_failures >= MAX_LOCK_RETRIES:
                report.stopped = "lock-timeout"
                break
            stop.wait(1.0)
            continue
        lock_failures = 0
        if deleted == 0:
            break  # nothing left that is not claimed by someone else
        report.deleted += deleted
        report.batches += 1
        if on_batch is not None:
            on_batch(deleted, report.deleted)
        if pause:
            stop.wait(pause)
    report.seconds = time.monotonic() - started
    if report.deleted:
        audit.record(actor="unknown", via="console", action="memory.retention_delete", object_type="npcs.npcmemory",
                     object_repr="expired memories", detail={"deleted": report.deleted, "batches": report.batches,
                                                            "cutoff": report.cutoff})
    return report
