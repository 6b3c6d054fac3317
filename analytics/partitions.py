"""Monthly partitions of `npc_metrics` on the native backend (TimescaleDB makes its own chunks).

Months are created ahead of the data: by the migration (this month and the next few), by
`ingest_metrics` / `generate_metrics` for the months a batch covers before it is copied, and by
`refresh_metrics_hourly` for the months ahead. A row whose month has no partition still lands
in `npc_metrics_default`; creating that month later moves its rows out in the same transaction.
"""

from __future__ import annotations

import datetime
import re

from django.db import connections, transaction

from analytics.storage import NATIVE, metrics_backend
from npcs.partitions import add_months, month_start

PARENT = "npc_metrics"
DEFAULT_PARTITION = "npc_metrics_default"
MONTHS_AHEAD = 3
_NAME_RE = re.compile(r"^npc_metrics_(\d{4})_(\d{2})$")


def partition_name(month: datetime.date) -> str:
    return f"{PARENT}_{month:%Y_%m}"


def existing_months(using: str = "default") -> set[datetime.date]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    return {datetime.date(int(m[1]), int(m[2]), 1) for m in map(_NAME_RE.match, names) if m}


def create_month_sql(month: datetime.date) -> list[str]:
    """One month's partition (bounds at midnight UTC), moving its rows out of the default one."""
    name, start, end = partition_name(month), f"{month.isoformat()} 00:00:00+00", f"{add_months(month, 1)} 00:00:00+00"
    where = f"time >= '{start}' AND time < '{end}'"
    return [
        f"CREATE TEMP TABLE _npc_metrics_move ON COMMIT DROP AS SELECT * FROM {DEFAULT_PARTITION} WHERE {where}",
        f"DELETE FROM {DEFAULT_PARTITION} WHERE {where}",
        f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES FROM ('{start}') TO ('{end}')",
        # Into the partition itself: the parent's triggers stay quiet, since no sample changed.
        f"INSERT INTO {name} SELECT * FROM _npc_metrics_move",
        "DROP TABLE _npc_metrics_move",
    ]


def months_between(first: datetime.datetime | datetime.date, last: datetime.datetime | datetime.date):
    """Every month from the one holding `first` to the one holding `last` (UTC)."""
    def as_month(value):
        if isinstance(value, datetime.datetime):
            value = value.astimezone(datetime.UTC).date()
        return month_start(value)

    month, stop = as_month(first), as_month(last)
    while month <= stop:
        yield month
        month = add_months(month, 1)


def ensure_months(months, using: str = "default", dry_run: bool = False) -> list[str]:
    """Create the missing monthly partitions among `months`; return their names."""
    if metrics_backend(using) != NATIVE:
        return []
    missing = sorted(set(months) - existing_months(using))
    if dry_run:
        return [partition_name(m) for m in missing]
    for month in missing:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            # Keep concurrent writers out of the default partition while its rows move.
            cursor.execute(f"LOCK TABLE {DEFAULT_PARTITION} IN ACCESS EXCLUSIVE MODE")
            for statement in create_month_sql(month):
                cursor.execute(statement)
    return [partition_name(m) for m in missing]


def ensure_months_ahead(today: datetime.date, using: str = "default", ahead: int = MONTHS_AHEAD) -> list[str]:
    first = month_start(today)
    return ensure_months([add_months(first, n) for n in range(ahead + 1)], using=using)


def default_partition_rows(using: str = "default") -> int:
    """Rows waiting in the default partition (a sign months were not created ahead)."""
    if metrics_backend(using) != NATIVE:
        return 0
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")
        return cursor.fetchone()[0]
