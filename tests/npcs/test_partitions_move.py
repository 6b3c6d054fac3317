"""Creating a month that already has rows in the default partition, while the engine keeps writing.

The engine is a plain psycopg session of its own (committed data, real locks), so these tests
run with transaction=True.
"""

from __future__ import annotations

import datetime
import io
import threading

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.utils import timezone
from psycopg import sql

from npcs import partitions

pytestmark = pytest.mark.django_db(transaction=True)

MONTH = datetime.date(2041, 6, 1)  # no migration creates it


@pytest.fixture(autouse=True)
def drop_new_partitions():
    """DDL survives a transaction=True test: drop the months a test made (and tables left standalone)."""
    before = {p.name for p in partitions.existing_partitions()}
    yield
    with connection.cursor() as cursor:
        for p in partitions.existing_partitions():
            if p.name not in before:
                cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(p.name)))
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition "
                       "AND relname ~ '^npc_memory_[0-9]{4}_[0-9]{2}$'")
        for (name,) in cursor.fetchall():
            cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))


def _engine() -> psycopg.Connection:
    conn = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    conn.execute("SET lock_timeout = '1s'")  # an engine INSERT that waits on our locks fails the test
    return conn


def _npc(conn) -> int:
    return conn.execute(
        "INSERT INTO npcs (name, tribe, personality, behavior_template) VALUES "
        "('mover-' || gen_random_uuid(), 'Romans', 'economic', '{\"aggression\": 0.1}') RETURNING id").fetchone()[0]


def _memories(conn, npc_id: int, n: int, start: str, step: str = "1 minute") -> None:
    conn.execute(
        "INSERT INTO npc_memory (npc_id, world_id, memory_type, event_data, occurred_at) "
        "SELECT %s, 'testworld', 'trade', jsonb_build_object('n', g), %s::timestamptz + g * %s::interval "
        "FROM generate_series(0, %s - 1) g", [npc_id, start, step, n])


def _where(conn) -> dict[str, int]:
    return dict(conn.execute("SELECT tableoid::regclass::text, count(*) FROM npc_memory GROUP BY 1").fetchall())


def test_rows_move_in_batches_and_the_month_is_attached_with_its_indexes_and_key():
    with _engine() as engine:
        npc = _npc(engine)
        _memories(engine, npc, 2_500, "2041-06-01T00:00:00Z")
        _memories(engine, npc, 7, "2041-07-01T00:00:00Z")  # another month: stays
        batches = []
        moved = partitions.create_month(MONTH, batch_size=1_000, progress=batches.append)
        assert moved == 2_500
        assert batches[:3] == [1_000, 1_000, 500]
        assert _where(engine) == {"npc_memory_2041_06": 2_500, "npc_memory_default": 7}
        # adopted, not cloned: one key and every partitioned index, attached to the parent's
        fks = engine.execute("SELECT conname, conparentid <> 0 FROM pg_constraint WHERE contype = 'f' "
                             "AND conrelid = 'npc_memory_2041_06'::regclass").fetchall()
        assert fks == [("npc_memory_2041_06_npc_id_fkey", True)]
        (unattached,) = engine.execute(
            "SELECT count(*) FROM pg_index x WHERE x.indrelid = 'npc_memory_2041_06'::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = x.indexrelid)").fetchone()
        assert unattached == 0
        checks = engine.execute("SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'c' "
                                "AND conname LIKE '%%2041_06%%'").fetchall()
        assert checks == []  # the helper CHECKs are gone
        engine.execute("DELETE FROM npcs WHERE id = %s", [npc])  # the cascade reaches the new month
        assert _where(engine) == {}


def test_npc_memory_is_never_locked_access_exclusive(monkeypatch):
    """Between batches our session holds nothing on npc_memory; in the attach transaction nothing that stops reads."""
    seen = []

    def locks() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT mode FROM pg_locks WHERE relation = 'npc_memory'::regclass "
                           "AND pid = pg_backend_pid()")
            return {mode for (mode,) in cursor.fetchall()}

    attach = partitions._attach_statements

    def attach_and_look(month):
        return [*attach(month), sql.SQL("SELECT set_config('npcadmin.test_locks', (SELECT string_agg(mode, ',') "
                                        "FROM pg_locks WHERE relation = 'npc_memory'::regclass "
                                        "AND pid = pg_backend_pid()), false)")]

    monkeypatch.setattr(partitions, "_attach_statements", attach_and_look)
    with _engine() as engine:
        _memories(engine, _npc(engine), 300, "2041-06-03T00:00:00Z")
        partitions.create_month(MONTH, batch_size=100, progress=lambda n: seen.append(locks()))
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('npcadmin.test_locks')")
        in_attach = set(cursor.fetchone()[0].split(","))
    assert seen and all(not held for held in seen)
    # writes wait for the attach's moment (reads never), and nothing blocks a SELECT
    assert "ShareRowExclusiveLock" in in_attach and "AccessExclusiveLock" not in in_attach


def test_the_engine_keeps_inserting_during_the_move_and_its_late_rows_follow():
    """Engine INSERTs for this month and for the month being moved, all through the move: none fails or waits."""
    now = timezone.now()
    stop, failures, written = threading.Event(), [], {"now": 0, "late": 0}
    with _engine() as setup:
        npc = _npc(setup)
        _memories(setup, npc, 6_000, "2041-06-01T00:00:00Z", "5 minutes")

    def engine_loop():
        with _engine() as engine:
            while not stop.is_set():
                for kind, when in (("now", now), ("late", datetime.datetime(2041, 6, 20, tzinfo=datetime.UTC))):
                    try:
                        engine.execute("INSERT INTO npc_memory (npc_id, world_id, memory_type, event_data, "
                                       "occurred_at) VALUES (%s, 'testworld', 'battle', '{}', %s)", [npc, when])
                        written[kind] += 1
                    except psycopg.Error as exc:
                        failures.append(exc)

    thread = threading.Thread(target=engine_loop)
    thread.start()
    try:
        partitions.create_month(MONTH, batch_size=500, pause=0.01)
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert written["now"] > 0 and written["late"] > 0
    with _engine() as check:
        counts = _where(check)
        assert counts.get("npc_memory_default", 0) == 0
        assert counts["npc_memory_2041_06"] == 6_000 + written["late"]


def _run(*args) -> str:
    out = io.StringIO()
    call_command("memory_partitions", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_since_creates_past_months_before_history_is_loaded():
    out = _run("--since", "2024-11", "--ahead", "0")
    names = {p.name for p in partitions.existing_partitions()}
    assert {"npc_memory_2024_11", "npc_memory_2024_12", "npc_memory_2025_01"} <= names
    assert "created npc_memory_2024_11" in out
    assert "npc_memory_2024_10" not in names
    with pytest.raises(CommandError, match="not a month"):
        _run("--since", "2024-13")
    with pytest.raises(CommandError, match="after the current month"):
        _run("--since", f"{timezone.now().year + 1}-01")


def test_clear_default_gives_every_waiting_month_its_partition():
    with _engine() as engine:
        npc = _npc(engine)
        _memories(engine, npc, 30, "2041-06-10T00:00:00Z")
        _memories(engine, npc, 20, "2042-02-27T23:59:00Z", "1 second")  # straddles nothing: all in 2042-02
        assert "50 rows waiting in npc_memory_default" in _run()
        dry = _run("--clear-default", "--dry-run")
        assert "would create npc_memory_2041_06" in dry and "would create npc_memory_2042_02" in dry
        assert _where(engine)["npc_memory_default"] == 50
        out = _run("--clear-default", "--batch-size", "7")
        assert "created npc_memory_2041_06" in out and "created npc_memory_2042_02" in out
        assert "0 rows waiting in npc_memory_default" in out
        assert _where(engine) == {"npc_memory_2041_06": 30, "npc_memory_2042_02": 20}
    with pytest.raises(CommandError, match="batch-size"):
        _run("--batch-size", "0")


def test_an_engine_transaction_holding_npc_memory_is_waited_for_briefly_then_the_attach_retries(monkeypatch):
    """The attach asks for its lock with a short lock_timeout and retries, instead of queueing the engine."""
    with _engine() as engine:
        _memories(engine, _npc(engine), 10, "2041-06-05T00:00:00Z")
    holder = _engine()
    holder.execute("BEGIN")
    holder.execute("INSERT INTO npc_memory (world_id, memory_type, event_data, occurred_at) "
                   "VALUES ('testworld', 'trade', '{}', now())")  # ROW EXCLUSIVE on npc_memory until COMMIT
    release = threading.Timer(0.6, holder.commit)
    release.start()
    try:
        assert partitions.create_month(MONTH) == 10  # gave up its lock request 100 ms at a time, then got it
    finally:
        release.join()
        holder.close()


def test_the_attach_gives_up_after_its_attempts(monkeypatch):
    monkeypatch.setattr(partitions, "ATTACH_ATTEMPTS", 2)
    holder = _engine()
    holder.execute("BEGIN")
    holder.execute("INSERT INTO npc_memory (world_id, memory_type, event_data, occurred_at) "
                   "VALUES ('testworld', 'trade', '{}', now())")
    try:
        with pytest.raises(OperationalError, match="lock timeout"):
            partitions.create_month(MONTH)
    finally:
        holder.rollback()
        holder.close()
    assert partitions.partition_name(MONTH) not in {p.name for p in partitions.existing_partitions()}
    assert partitions.create_month(MONTH) == 0  # the standalone table is reused on the next run
    assert partitions.partition_name(MONTH) in {p.name for p in partitions.existing_partitions()}
