"""Memory retention: batches delete only expired rows, skip locked ones, share work, stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from npcs import retention

INSERT_SQL = """
INSERT INTO npc_memory (world_id, memory_type, event_data, occurred_at, expires_at)
SELECT 'demo', 'battle', '{{}}'::jsonb, now() - (g %% 60) * interval '1 day', {expires}
FROM generate_series(1, %s) g
"""


def insert(raw_sql, n: int, expires: str) -> None:
    raw_sql(INSERT_SQL.format(expires=expires), [n])


def count(raw_sql, where: str = "true") -> int:
    return raw_sql(f"SELECT count(*) FROM npc_memory WHERE {where}")[0][0]


@pytest.mark.django_db
def test_deletes_only_expired_memories_in_batches(raw_sql):
    insert(raw_sql, 25, "now() - interval '1 hour'")
    insert(raw_sql, 5, "now() + interval '1 day'")
    insert(raw_sql, 5, "NULL")
    report = retention.memory_retention_run(batch_size=10)
    assert (report.deleted, report.batches, report.stopped) == (25, 3, "done")
    assert count(raw_sql) == 10 and count(raw_sql, "expires_at < now()") == 0


@pytest.mark.django_db
def test_dry_run_counts_and_deletes_nothing(raw_sql):
    insert(raw_sql, 7, "now() - interval '1 hour'")
    out = StringIO()
    call_command("memory_retention", "--dry-run", stdout=out)
    assert "dry run: 7 memories expired" in out.getvalue()
    assert count(raw_sql) == 7


@pytest.mark.django_db
def test_max_seconds_stops_before_the_next_batch(raw_sql):
    insert(raw_sql, 30, "now() - interval '1 hour'")
    report = retention.memory_retention_run(batch_size=10, max_seconds=0)
    assert report.stopped == "max-seconds" and report.deleted == 0


@pytest.mark.django_db
def test_sigterm_finishes_the_batch_then_stops(raw_sql, monkeypatch):
    insert(raw_sql, 30, "now() - interval '1 hour'")
    original = retention.memory_delete_expired_batch

    def batch_then_sigterm(**kwargs):
        deleted = original(**kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        return deleted

    monkeypatch.setattr(retention, "memory_delete_expired_batch", batch_then_sigterm)
    before = signal.getsignal(signal.SIGTERM)
    out = StringIO()
    call_command("memory_retention", "--batch-size", "10", stdout=out)
    assert "deleted 10 expired memories in 1 batches" in out.getvalue() and "stopped: signal" in out.getvalue()
    assert count(raw_sql) == 20
    assert signal.getsignal(signal.SIGTERM) is before


def _engine_connection() -> psycopg.Connection:
    """A second session, as the NPC engine would hold one."""
    return psycopg.connect(**connection.get_connection_params())


@pytest.mark.django_db(transaction=True)
def test_rows_the_engine_has_locked_are_skipped_not_waited_for(raw_sql):
    insert(raw_sql, 20, "now() - interval '1 hour'")
    locked_id = raw_sql("SELECT min(id) FROM npc_memory")[0][0]
    with _engine_connection() as engine:
        engine.execute("UPDATE npc_memory SET accessed_count = accessed_count + 1 WHERE id = %s", [locked_id])
        report = retention.memory_retention_run(batch_size=50)  # would block without SKIP LOCKED
        assert report.deleted == 19
        engine.commit()
    assert retention.memory_retention_run(batch_size=50).deleted == 1
    assert count(raw_sql) == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_share_the_work_without_double_counting(raw_sql):
    insert(raw_sql, 3000, "now() - interval '1 hour'")
    insert(raw_sql, 100, "now() + interval '1 hour'")
    now = timezone.now()
    reports, failures = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            reports.append(retention.memory_retention_run(batch_size=100, now=now))
        except Exception as exc:  # surfaced below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures and len(reports) == 2
    assert sum(r.deleted for r in reports) == 3000
    assert all(r.stopped == "done" for r in reports)
    assert count(raw_sql) == 100
