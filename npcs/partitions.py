"""Monthly partitions of `npc_memory`: names, creation ahead of time, retention, a report.

Decision (docs/schema.md, flaw 2): a row whose month has no partition lands in the DEFAULT
partition `npc_memory_default`, so the engine never loses a memory. Creating a month's
partition moves such rows out of the default partition in the same transaction
(PostgreSQL refuses to create a range the default partition already holds rows for).

Month bounds are midnight UTC (`occurred_at` is timestamptz), whatever the session time zone.
Every identifier is quoted by psycopg and every bound is a parameter-free literal built from a
`datetime.date`, so nothing a caller passes reaches the SQL text unescaped.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db import connections, transaction
from psycopg import sql

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


def create_month_statements(month: datetime.date) -> list[sql.Composed]:
    """SQL that creates one month's partition, moving that month's rows out of the default one."""
    month = month_start(month)
    start, end = _utc_midnight(month), _utc_midnight(add_months(month, 1))
    parent, default = sql.Identifier(PARENT), sql.Identifier(DEFAULT_PARTITION)
    name, moving = sql.Identifier(partition_name(month)), sql.Identifier("_npc_memory_move")
    in_month = sql.SQL("occurred_at >= {} AND occurred_at < {}").format(start, end)
    return [
        # Parent first, like the engine's INSERTs lock it, so the two cannot deadlock. Under this
        # lock a second run that raced us finds the month made: nothing to move, IF NOT EXISTS.
        sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(parent),
        sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT * FROM {} WHERE {}").format(
            moving, default, in_month),
        sql.SQL("DELETE FROM {} WHERE {}").format(default, in_month),
        sql.SQL("CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})").format(
            name, parent, start, end),
        sql.SQL("INSERT INTO {} SELECT * FROM {}").format(parent, moving),
        sql.SQL("DROP TABLE {}").format(moving),
    ]


def ensure_months(months: list[datetime.date], using: str = "default", dry_run: bool = False) -> list[str]:
    """Create the missing partitions among `months`; return the names created (or that would be)."""
    have = {p.month for p in existing_partitions(using)}
    missing = sorted({month_start(m) for m in months} - have)
    if dry_run:
        return [partition_name(m) for m in missing]
    created = []
    for month in missing:
        # One short transaction per month: the engine waits only while that month's rows move.
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            for statement in create_month_statements(month):
                cursor.execute(statement)
        created.append(partition_name(month))
    return created


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
