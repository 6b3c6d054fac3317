#!/usr/bin/env python
"""What a tuned changelist's page query costs, asked directly of PostgreSQL (no Django view).

For each changelist question of bench/changelist.py, times the one query a changelist that
does not count and pages by keyset needs (`... ORDER BY <time> DESC, id DESC LIMIT 101`,
deep pages as `WHERE (<time>, id) < (:last_time, :last_id)`), plus the estimated row count
from pg_class, next to the stock admin's `COUNT(*)`. It shows whether the targets are reachable
with the indexes that exist, before any view is written.

    .venv/bin/python bench/changelist_queries.py --repeat 20 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench.report import add_write_argument, command_line, publish  # noqa: E402

TABLES = {"npc_decisions": ("created_at", "decision_type", "military"),
          "npc_memory": ("occurred_at", "memory_type", "battle")}
DEEP_OFFSET = 500_000


def timed(sql: str, params: list, repeat: int) -> tuple[float, float]:
    times = []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    ordered = sorted(times)
    return statistics.median(times), ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    add_write_argument(parser, "changelist-queries")
    args = parser.parse_args(argv)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM npcs WHERE name LIKE 'bench-npc-%%' ORDER BY id LIMIT 1")
        npc_id = cursor.fetchone()[0]
    rows = ["| table · question | query | median ms | p95 ms |", "|---|---|---:|---:|"]
    for table, (when, kind, value) in TABLES.items():
        page = f"SELECT * FROM {table} {{where}} ORDER BY {when} DESC, id DESC LIMIT 101"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {when}, id FROM {table} ORDER BY {when} DESC, id DESC OFFSET %s LIMIT 1",
                           [DEEP_OFFSET])
            deep = cursor.fetchone()
            if deep is None:  # a small table: its oldest row is the deepest page there is
                cursor.execute(f"SELECT {when}, id FROM {table} ORDER BY {when}, id LIMIT 1")
                deep = cursor.fetchone()
            cursor.execute(f"SELECT max({when}) - interval '30 days', max({when}) - interval '60 days' FROM {table}")
            month_end, month_start = cursor.fetchone()
        questions = [
            ("stock: exact count", f"SELECT count(*) FROM {table}", []),
            ("estimated count", "SELECT coalesce(sum(greatest(reltuples, 0)), 0)::bigint FROM pg_class "
             "WHERE relkind = 'r' AND (oid = %s::regclass "
             "OR oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass))",
             [table, table]),
            ("first page", page.format(where=""), []),
            ("by NPC", page.format(where="WHERE npc_id = %s"), [npc_id]),
            ("by type", page.format(where=f"WHERE {kind} = %s"), [value]),
            ("by date range", page.format(where=f"WHERE {when} >= %s AND {when} < %s"), [month_start, month_end]),
            ("stock: deep page by OFFSET", f"SELECT * FROM {table} ORDER BY {when} DESC, id DESC "
             f"OFFSET {DEEP_OFFSET} LIMIT 100", []),
            ("deep page by keyset", page.format(where=f"WHERE ({when}, id) < (%s, %s)"),
             list(deep)),
        ]
        for label, sql, params in questions:
            median, p95 = timed(sql, params, args.repeat)
            rows.append(f"| {table} · {label} | `{sql.replace('%s', '?')}` | {median:.1f} | {p95:.1f} |")
            print(f"{median:8.1f} ms median {p95:8.1f} ms p95  {table} · {label}", flush=True)
    body = (f"{args.repeat} runs each, through Django's connection. Reproduce: "
            f"`{command_line('changelist_queries.py', argv)}`\n\n"
            + "\n".join(rows) + "\n")
    publish(args.write, "changelist-queries", "Changelist queries, tuned vs stock (SQL only)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
