"""Monthly partitions of `npc_memory`: names, creation ahead of time, retention, a report.

Decision (docs/schema.md, flaw 2): a row whose month has no partition lands in the DEFAULT
partition `npc_memory_default`, so the engine never loses a memory. Creating a month's
partition moves such rows out of the default partition in batches and attaches the month
without ever holding ACCESS EXCLUSIVE on `npc_memory` (`create_month`).

Month bounds are midnight UTC (`occurred_at` is timestamptz), whatever the session time zone.
Every identifier is quoted by psycopg and every bound is a parameter-free literal built from a
`datetime.date`, so nothing a caller passes reaches the SQL text unescaped.
"""

from __future__ import annotations

import datetime
import re
import time
from dataclasses import dataclass

from django.db import DatabaseError, connections, transaction
from psycopg import errors, sql

PARENT = "npc_memory"
DEFAULT_PARTITION = "npc_memory_default"
_NAME_RE = re.compile(r"^npc_memory_(\d{4})_(0[1-9]|1[0-2])$")


def month_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, day.month, 1)


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def partition_name(month: datetime.date) -> str:
    return f"{PARENT}_{month:%Y_%m}"


def _utc_midnight(month: datetime.date) -> sql.Literal:
    """The first instant of `month` in UTC, as a timestamptz literal."""
    return sql.Literal(datetime.datetime(month.year, month.month, 1, tzinfo=datetime.UTC))


@dataclass(frozen=True)
class Partition:
    """One monthly partition: rows with `month` <= occurred_at (UTC) < `end`."""

    name: str
    month: datetime.date

    @property
    def end(self) -> datetime.date:
        return add_months(self.month, 1)


@dataclass(frozen=True)
class PartitionInfo:
    """A line of the partition report: bounds as PostgreSQL states them and the row estimate."""

    name: str
    bounds: str
    estimated_rows: int | None  # None: never analysed (PostgreSQL's reltuples = -1)


def existing_partitions(using: str = "default") -> list[Partition]:
    """Monthly partitions attached to `npc_memory`, oldest first (the default one excluded)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass
            """,
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = []
    for name in names:
        match = _NAME_RE.match(name)
        if match:
            found.append(Partition(name, datetime.date(int(match[1]), int(match[2]), 1)))
    return sorted(found, key=lambda p: p.month)


MOVE_BATCH = 5_000  # rows moved out of the default partition per transaction (the benchmarked size)
# While we wait for the parent's lock the engine's new INSERTs queue behind us: wait briefly, retry.
ATTACH_LOCK_TIMEOUT = "100ms"
ATTACH_ATTEMPTS = 50


def _bounds(month: datetime.date) -> tuple[sql.Literal, sql.Literal]:
    return _utc_midnight(month), _utc_midnight(add_months(month, 1))


def _in_month(month: datetime.date) -> sql.Composed:
    start, end = _bounds(month)
    return sql.SQL("occurred_at >= {} AND occurred_at < {}").format(start, end)


def _bound_check(month: datetime.date) -> sql.Identifier:
    """The new table's CHECK equal to its partition bound (dropped once attached)."""
    return sql.Identifier(f"{partition_name(month)}_bound")


def _default_check(month: datetime.date) -> sql.Identifier:
    """The default partition's CHECK proving it holds no row of `month` (only during ATTACH)."""
    return sql.Identifier(f"{DEFAULT_PARTITION}_not_{month:%Y_%m}")


def _build_table_statements(month: datetime.date) -> list[sql.Composed]:
    """A standalone table shaped like a partition of `npc_memory`, with a CHECK equal to the month's bound.

    LIKE copies columns, defaults (the shared id sequence), NOT NULLs, CHECKs and indexes, so ATTACH
    finds every index and adopts it instead of building one. The key to `npcs` is added while the
    table is empty: ATTACH then adopts it too, instead of cloning and validating it (which would
    scan the month and lock `npcs` against the engine's writes). The bound CHECK lets ATTACH skip
    the scan of the new partition.
    """
    name, fkey = sql.Identifier(partition_name(month)), sql.Identifier(f"{partition_name(month)}_npc_id_fkey")
    return [
        sql.SQL("CREATE TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                "INCLUDING INDEXES INCLUDING STORAGE)").format(name, sql.Identifier(PARENT)),
        sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(name, _bound_check(month)),
        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK (occurred_at IS NOT NULL AND {})").format(
            name, _bound_check(month), _in_month(month)),
        sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(name, fkey),
        # The parent's own definition (deferrability included), or ATTACH would not adopt it.
        sql.SQL("""DO $$ DECLARE d text; BEGIN
                     FOR d IN SELECT pg_get_constraintdef(oid) FROM pg_constraint
                              WHERE conrelid = {}::regclass AND contype = 'f' AND conparentid = 0 LOOP
                       EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I ', {}, {}) || d;
                     END LOOP; END $$""").format(
            sql.Literal(PARENT), sql.Literal(partition_name(month)),
            sql.Literal(f"{partition_name(month)}_npc_id_fkey")),
    ]


def _move_batch_statement(month: datetime.date, limit: int | None) -> sql.Composed:
    """Move up to `limit` of the month's rows (all of them with None) from the default partition to its table."""
    default, name = sql.Identifier(DEFAULT_PARTITION), sql.Identifier(partition_name(month))
    picked = sql.SQL("SELECT ctid FROM {} WHERE {}{}").format(
        default, _in_month(month), sql.SQL(" LIMIT {}").format(sql.Literal(limit)) if limit else sql.SQL(""))
    return sql.SQL(
        "WITH moved AS (DELETE FROM {} WHERE ctid = ANY (ARRAY ({})) RETURNING *) INSERT INTO {} SELECT * FROM moved"
    ).format(default, picked, name)


def _attach_statements(month: datetime.date) -> list[sql.Composed]:
    """The short final transaction: last rows, a CHECK proving the default holds none of the month, ATTACH.

    Locks, parent first (the order the engine's INSERTs take, so no deadlock):
    - SHARE ROW EXCLUSIVE on `npc_memory` for this transaction only: engine writes wait for this
      moment, reads go on. ATTACH itself needs only SHARE UPDATE EXCLUSIVE (PostgreSQL 12+), but an
      INSERT that had already chosen the default partition and then waited for the default's lock
      would fail with "violates partition constraint" once the month is attached; stopping writes
      at the parent makes them route again, afterwards, into the new month.
    - ACCESS EXCLUSIVE on the default partition and on the new table (ATTACH's).
    What the moment costs: the last rows' move and a scan of what remains in the default
    partition (the CHECK that lets ATTACH skip its own scan); both batches and VACUUM keep it small.
    """
    parent, default = sql.Identifier(PARENT), sql.Identifier(DEFAULT_PARTITION)
    name, start_end = sql.Identifier(partition_name(month)), _bounds(month)
    default_check = _default_check(month)
    return [
        sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(ATTACH_LOCK_TIMEOUT)),
        sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(parent),
        sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(default),
        sql.SQL("SET LOCAL lock_timeout = 0"),  # ours now; what follows must not fail half-way
        _move_batch_statement(month, None),  # rows the engine wrote for the month during the batches
        sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(default, default_check),
        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK (NOT ({}))").format(default, default_check, _in_month(month)),
        sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM ({}) TO ({})").format(parent, name, *start_end),
        sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(default, default_check),
        sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(name, _bound_check(month)),
    ]


_ATTACH_MOVE_STEP = 4  # the statement of _attach_statements that moves the last rows


def create_month(month: datetime.date, using: str = "default", batch_size: int = MOVE_BATCH,
                 progress=None, pause: float = 0.0) -> int:
    """Create one month's partition without holding ACCESS EXCLUSIVE on `npc_memory`; return the rows moved.

    1. build the month as a standalone table (`_build_table_statements`);
    2. move its rows out of the default partition `batch_size` at a time, one transaction each
       (row locks only: the engine keeps inserting, into this month too, which lands in the default
       partition and is picked up by the next batch). Rows moved are visible in the new table but
       not through `npc_memory` until step 3, which is why history loads create months first;
    3. attach it in one short transaction (`_attach_statements`), retried when a lock is not
       granted within ATTACH_LOCK_TIMEOUT rather than queueing the engine behind us.
    `progress(n)` is called after each batch with the rows it moved.
    """
    month = month_start(month)
    if month in {p.month for p in existing_partitions(using)}:
        return 0
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for statement in _build_table_statements(month):
            cursor.execute(statement)
    moved = 0
    while True:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(_move_batch_statement(month, batch_size))
            n = cursor.rowcount
        moved += n
        if progress and n:
            progress(n)
        if n < batch_size:
            break
        if pause:
            time.sleep(pause)
    if moved:
        with connection.cursor() as cursor:  # the batches' dead rows: truncated, the final scan is shorter
            if connection.get_autocommit():  # (VACUUM cannot run inside a transaction, e.g. a migration)
                cursor.execute(sql.SQL("VACUUM {}").format(sql.Identifier(DEFAULT_PARTITION)))
    for attempt in range(1, ATTACH_ATTEMPTS + 1):
        try:
            last = 0
            with transaction.atomic(using=using), connection.cursor() as cursor:
                for i, statement in enumerate(_attach_statements(month)):
                    cursor.execute(statement)
                    if i == _ATTACH_MOVE_STEP:
                        last = max(cursor.rowcount, 0)
            return moved + last
        except DatabaseError as exc:  # only a lock not granted in time is retried
            if not isinstance(exc.__cause__, errors.LockNotAvailable) or attempt == ATTACH_ATTEMPTS:
                raise
            time.sleep(min(0.05 * attempt, 1.0))
    return moved


def ensure_months(months: list[datetime.date], using: str = "default", dry_run: bool = False,
                  batch_size: int = MOVE_BATCH, progress=None) -> list[str]:
    """Create the missing partitions among `months`; return the names created (or that would be)."""
    have = {p.month for p in existing_partitions(using)}
    missing = sorted({month_start(m) for m in months} - have)
    if dry_run:
        return [partition_name(m) for m in missing]
    for month in missing:
        create_month(month, using=using, batch_size=batch_size, progress=progress)
    return [partition_name(m) for m in missing]


def waiting_months(using: str = "default") -> list[datetime.date]:
    """The UTC months of the rows waiting in the default partition, oldest first."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql.SQL(
            "SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date FROM {} ORDER BY 1"
        ).format(sql.Identifier(DEFAULT_PARTITION)))
        return [row[0] for row in cursor.fetchall()]


def clear_default(using: str = "default", dry_run: bool = False, batch_size: int = MOVE_BATCH,
                  progress=None) -> list[str]:
    """Give every month waiting in the default partition its partition, moving its rows there."""
    return ensure_months(waiting_months(using), using=using, dry_run=dry_run, batch_size=batch_size,
                         progress=progress)


def months_since(first: datetime.date, today: datetime.date, ahead: int) -> list[datetime.date]:
    """Every month from `first` to the current one, and `ahead` after it (for loading history)."""
    first, last = month_start(first), add_months(month_start(today), max(0, ahead))
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months


def months_ahead(today: datetime.date, ahead: int) -> list[datetime.date]:
    """The current month and `ahead` months after it."""
    first = month_start(today)
    return [add_months(first, n) for n in range(max(0, ahead) + 1)]


def expired_partitions(today: datetime.date, retention_months: int, using: str = "default") -> list[Partition]:
    """Partitions entirely older than the retention window (none when retention is 0).

    With retention N the current month and the N months before it are kept: in 2026-11 with
    N = 12, 2025-11 is kept and 2025-10 (ending 2025-11-01) expires.
    """
    if retention_months <= 0:
        return []
    cutoff = retention_cutoff(today, retention_months)
    return [p for p in existing_partitions(using) if p.end <= cutoff]


def retention_cutoff(today: datetime.date, retention_months: int) -> datetime.date:
    """First day kept: a partition ending on or before it has expired."""
    return add_months(month_start(today), -retention_months)


def drop_partitions(partitions: list[Partition], using: str = "default", detach_only: bool = False) -> None:
    """Detach (and unless `detach_only`, drop) each partition, one short transaction each.

    Plain DETACH (not CONCURRENTLY): PostgreSQL forbids the concurrent form when a default
    partition exists. A detached table keeps its name and rows for an archive or a re-attach.
    """
    for partition in partitions:
        name = sql.Identifier(partition.name)
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute(sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(sql.Identifier(PARENT), name))
            if not detach_only:
                cursor.execute(sql.SQL("DROP TABLE {}").format(name))


def default_partition_rows(using: str = "default") -> int:
    """Rows waiting in the default partition (a sign partitions were not created ahead)."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(DEFAULT_PARTITION)))
        return cursor.fetchone()[0]


def partition_report(using: str = "default") -> list[PartitionInfo]:
    """Every partition (default last) with its bounds and PostgreSQL's row estimate (no scan)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass
            ORDER BY c.relname = %s, c.relname
            """,
            [PARENT, DEFAULT_PARTITION],
        )
        rows = cursor.fetchall()
    return [PartitionInfo(name, bounds, None if estimate < 0 else estimate) for name, bounds, estimate in rows]
