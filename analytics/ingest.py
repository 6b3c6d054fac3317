"""Loading metric samples fast: COPY in batches, months partitioned ahead of each batch.

Used by `manage.py ingest_metrics` (CSV files), `manage.py generate_metrics` and the demo seed.
Each batch is one COPY in its own transaction, so a failure keeps the batches already loaded
and says which rows were refused.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import psycopg
from django.db import DatabaseError, connections, transaction

from analytics import partitions
from analytics.storage import METRIC_COLUMNS

DEFAULT_BATCH_ROWS = 50_000


class IngestError(Exception):
    """A file or batch the loader refuses, with the position of the problem."""


@dataclass
class IngestResult:
    rows: int = 0
    batches: int = 0
    skipped: int = 0
    # The time range the loaded rows cover (what the hourly aggregate must refresh).
    first: datetime.datetime | None = None
    last: datetime.datetime | None = None

    def cover(self, low: datetime.datetime | None, high: datetime.datetime | None) -> None:
        if low is not None:
            self.first = low if self.first is None else min(self.first, low)
        if high is not None:
            self.last = high if self.last is None else max(self.last, high)


def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"


def copy_batch(
    lines: list[str],
    *,
    columns: tuple[str, ...],
    first: datetime.datetime,
    last: datetime.datetime,
    using: str = "default",
    skip_duplicates: bool = False,
) -> int:
    """COPY CSV lines (no header) into npc_metrics; return rows inserted.

    With `skip_duplicates`, rows whose (time, npc_id) already exists are left alone (they go
    through a staging table and `INSERT ... ON CONFLICT DO NOTHING`, which is slower).
    """
    partitions.ensure_months(list(partitions.months_between(first, last)), using=using)
    payload = "".join(lines)
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor: COPY is not part of the DB-API Django wraps
        if not skip_duplicates:
            with raw.copy(_copy_sql("npc_metrics", columns)) as copy:
                copy.write(payload)
            return len(lines)
        raw.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _npc_metrics_staging "
            "(LIKE npc_metrics INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with raw.copy(_copy_sql("_npc_metrics_staging", columns)) as copy:
            copy.write(payload)
        names = ", ".join(columns)
        raw.execute(
            f"INSERT INTO npc_metrics ({names}) SELECT {names} FROM _npc_metrics_staging "
            "ON CONFLICT (time, npc_id) DO NOTHING"
        )
        return raw.rowcount


def _time_field(line: str, time_index: int) -> str:
    """The `time` field of a CSV line; the csv module only for lines with quotes (rare in metrics)."""
    if '"' in line:
        row = next(csv.reader([line]), [])
        return row[time_index] if len(row) > time_index else ""
    fields = line.split(",", time_index + 1)
    return fields[time_index].strip() if len(fields) > time_index else ""


def _batches(lines_in: Iterator[str], time_index: int, batch_rows: int, first_line: int):
    """Yield (csv lines as read, first time, last time, first line number) per batch.

    Lines go to COPY untouched (no re-serialising: that halved the rate); only the time field is
    parsed, to check it carries a zone and to create the months the batch covers beforehand.
    """
    lines: list[str] = []
    low = high = None
    line_no = first_line
    start = first_line + 1
    for line in lines_in:
        line_no += 1
        if not line.strip():
            continue
        raw = _time_field(line, time_index)
        try:
            moment = datetime.datetime.fromisoformat(raw)
        except ValueError as exc:
            raise IngestError(f"line {line_no}: time {raw!r} is not a timestamp") from exc
        if moment.tzinfo is None:
            raise IngestError(f"line {line_no}: time {raw!r} has no time zone (write it as UTC, +00)")
        if low is None or moment < low:
            low = moment
        if high is None or moment > high:
            high = moment
        lines.append(line if line.endswith("\n") else line + "\n")
        if len(lines) >= batch_rows:
            yield lines, low, high, start
            lines, low, high, start = [], None, None, line_no + 1
    if lines:
        yield lines, low, high, start


def ingest_csv(
    stream: Iterable[str],
    *,
    using: str = "default",
    batch_rows: int = DEFAULT_BATCH_ROWS,
    skip_duplicates: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Load a CSV of npc_metrics rows with a header naming the columns (any order, `time` and `npc_id` required)."""
    lines_in = iter(stream)
    first = next(lines_in, "")
    if not first.strip():
        raise IngestError("the file is empty")
    header = [name.strip() for name in next(csv.reader([first]))]
    unknown = [name for name in header if name not in METRIC_COLUMNS]
    if unknown:
        raise IngestError(f"unknown columns {unknown}; npc_metrics has {', '.join(METRIC_COLUMNS)}")
    for required in ("time", "npc_id"):
        if required not in header:
            raise IngestError(f"the header must name the column {required!r}")
    columns = tuple(header)
    result = IngestResult()
    for lines, low, high, start in _batches(lines_in, header.index("time"), batch_rows, first_line=1):
        if dry_run:
            result.rows += len(lines)
        else:
            try:
                inserted = copy_batch(lines, columns=columns, first=low, last=high, using=using,
                                      skip_duplicates=skip_duplicates)
            except (psycopg.Error, DatabaseError) as exc:
                hint = " Use --skip-duplicates to keep existing samples." \
                    if isinstance(exc, psycopg.errors.UniqueViolation) else ""
                detail = " ".join(line.strip() for line in str(exc).splitlines()[:3])
                # COPY counts lines from the start of the batch; say which line of the file it was.
                detail = re.sub(r"COPY \w+, line (\d+)",
                                lambda m, first=start: f"file line {first + int(m[1]) - 1}", detail)
                raise IngestError(
                    f"batch starting at line {start} refused ({result.rows} rows already loaded): {detail}.{hint}"
                ) from exc
            result.rows += inserted
            result.skipped += len(lines) - inserted
            result.cover(low, high)
        result.batches += 1
        if progress:
            progress(len(lines))
    return result


def copy_rows(
    rows: Iterable[tuple],
    *,
    using: str = "default",
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """COPY generated rows (tuples in METRIC_COLUMNS order, `time` first) in batches."""
    result = IngestResult()
    lines: list[str] = []
    low = high = None

    def flush():
        inserted = copy_batch(lines, columns=METRIC_COLUMNS, first=low, last=high, using=using)
        result.rows += inserted
        result.batches += 1
        result.cover(low, high)
        if progress:
            progress(inserted)

    for row in rows:
        moment = row[0]
        if low is None or moment < low:
            low = moment
        if high is None or moment > high:
            high = moment
        lines.append(",".join("" if value is None else str(value) for value in row) + "\n")
        if len(lines) >= batch_rows:
            flush()
            lines, low, high = [], None, None
    if lines:
        flush()
    return result
