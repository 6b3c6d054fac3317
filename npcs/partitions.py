"""Monthly partitions of `npc_memory`: names, creation ahead of time, retention.

Decision (docs/schema.md): a row whose month has no partition lands in the DEFAULT
partition `npc_memory_default`, so the engine never loses a memory. Creating a month's
partition moves such rows out of the default partition in the same transaction
(PostgreSQL refuses to attach a range the default partition already holds rows for).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db import connections, transaction

PARENT = "npc_memory"
DEFAULT_PARTITION = "npc_memory_default"
_NAME_RE = re.compile(r"^npc_memory_(\d{4})_(\d{2})$")


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def partition_name(month: datetime.date) -> str:
    return f"{PARENT}_{month:%Y_%m}"


@dataclass(frozen=True)
class Partition:
    name: str
    month: datetime.date

    @property
    def end(self) -> datetime.date:
        return add_months(self.month, 1)


def existing_partitions(using: str = "default") -> list[Partition]:
    """Monthly partitions attached to `npc_memory`, oldest first (the default one excluded)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relname = %s
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


def create_month_sql(month: datetime.date) -> list[str]:
    """SQL that creates one month's partition, moving that month's rows out of the default one."""
    name, start, end = partition_name(month), month.isoformat(), add_months(month, 1).isoformat()
    # Timestamps are timestamptz: month bounds are midnight UTC (documented in docs/schema.md).
    bounds = f"FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00')"
    where = f"occurred_at >= '{start} 00:00:00+00' AND occurred_at < '{end} 00:00:00+00'"
    return [
        f"CREATE TEMP TABLE _npc_memory_move ON COMMIT DROP AS "
        f"SELECT * FROM {DEFAULT_PARTITION} WHERE {where}",
        f"DELETE FROM {DEFAULT_PARTITION} WHERE {where}",
        f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES {bounds}",
        f"INSERT INTO {PARENT} SELECT * FROM _npc_memory_move",
        "DROP TABLE _npc_memory_move",
    ]


def ensure_months(months: list[datetime.date], using: str = "default", dry_run: bool = False) -> list[str]:
    """Create the missing partitions among `months`; return the names created (or that would be)."""
    have = {p.month for p in existing_partitions(using)}
    missing = sorted({month_start(m) for m in months} - have)
    if dry_run:
        return [partition_name(m) for m in missing]
    created = []
    for month in missing:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            # Keep the engine's inserts out while rows move between partitions.
            cursor.execute(f"LOCK TABLE {DEFAULT_PARTITION} IN ACCESS EXCLUSIVE MODE")
            for statement in create_month_sql(month):
                cursor.execute(statement)
        created.append(partition_name(month))
    return created


def months_ahead(today: datetime.date, ahead: int) -> list[datetime.date]:
    """The current month and `ahead` months after it."""
    first = month_start(today)
    return [add_months(first, n) for n in range(ahead + 1)]


def expired_partitions(today: datetime.date, retention_months: int, using: str = "default") -> list[Partition]:
    """Partitions entirely older than the retention window (none when retention is 0)."""
    if retention_months <= 0:
        return []
    cutoff = add_months(month_start(today), -retention_months)
    return [p for p in existing_partitions(using) if p.end <= cutoff]


def drop_partitions(partitions: list[Partition], using: str = "default", detach_only: bool = False) -> None:
    """Detach (and unless `detach_only`, drop) each partition, one short transaction each."""
    for partition in partitions:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {partition.name}")
            if not detach_only:
                cursor.execute(f"DROP TABLE {partition.name}")


def default_partition_rows(using: str = "default") -> int:
    """Rows waiting in the default partition (a sign partitions were not created ahead)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")
        return cursor.fetchone()[0]
