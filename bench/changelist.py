#!/usr/bin/env python
"""Time admin changelists in-process (Django test Client, logged in as a superuser).

Without URL arguments it measures, for `npc_decisions` and `npc_memory`, the stock Django
admin (`bench.stock_admin`, mounted at /bench-stock-admin/) and the project's admin at
/admin/ with the same questions: unfiltered, by NPC, by type, by a one-month date range,
first page and a deep page. Give URLs as arguments to time others (e.g. the console's own
filter or cursor parameters). Each URL is fetched --warmup times, then --repeat times;
the report has median and p95 server time, the query count, the slowest query, and the
EXPLAIN (ANALYZE, BUFFERS) plan of the slowest query of every URL whose median is over
--plan-ms. The data comes from bench/generate_data.py.

    .venv/bin/python bench/generate_data.py --scale 0.1
    .venv/bin/python bench/changelist.py --repeat 20 --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from bench.report import add_write_argument, command_line, plans_markdown, publish  # noqa: E402

SITES = {"stock": "/bench-stock-admin", "project": "/admin"}
TABLES = {
    "npc_decisions": ("npcs/npcdecision/", "decision_type", "military", "created_at"),
    "npc_memory": ("npcs/npcmemory/", "memory_type", "battle", "occurred_at"),
}
PAGE_SIZE = 100  # the stock admin's list_per_page


@dataclass
class Measurement:
    label: str
    url: str
    status: int = 0
    times_ms: list[float] = field(default_factory=list)
    queries: int = 0
    slowest_sql: str = ""
    slowest_ms: float = 0.0
    plan: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def estimated_rows(table: str) -> int:
    """Planner's estimate summed over partitions (no COUNT(*): that is what we are measuring)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint FROM pg_class c
            WHERE c.relkind <> 'p'  -- a partitioned parent's estimate would count its rows twice
              AND (c.oid = %s::regclass
                   OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass))
            """,
            [table, table],
        )
        return cursor.fetchone()[0]


def row_at(table: str, date_field: str, offset: int) -> tuple[datetime.datetime, int] | None:
    """(time, id) of the row at `offset` in the changelists' ordering (to start the project's keyset page)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {date_field}, id FROM {table} ORDER BY {date_field} DESC, id DESC "  # noqa: S608
                       "OFFSET %s LIMIT 1", [offset])
        return cursor.fetchone()


def default_urls() -> list[tuple[str, str]]:
    """(label, url) for every table × site × question.

    The same questions in each admin's own words: the stock admin filters by NPC with
    `npc__id__exact` and shows 100 rows a page, the project's console with `?npc=` and 50 rows.
    Its deep page is the keyset link ("next page →", `?cursor=<time>~<id>`) that starts at the
    same row as the stock admin's deep page; `?p=N` (OFFSET) is timed as well, for comparison.
    """
    from npcadmin.paginators import encode_cursor

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM npcs WHERE name LIKE 'bench-npc-%%' ORDER BY id LIMIT 1")
        row = cursor.fetchone()
    npc_id = row[0] if row else 1
    month = (datetime.date.today().replace(day=1) - datetime.timedelta(days=80)).replace(day=1)
    next_month = (month + datetime.timedelta(days=32)).replace(day=1)
    urls = []
    for table, (path, type_field, type_value, date_field) in TABLES.items():
        deep = max(1, estimated_rows(table) // PAGE_SIZE // 2)
        offset = (deep - 1) * PAGE_SIZE
        dates = {f"{date_field}__gte": f"{month.isoformat()} 00:00:00+00:00",
                 f"{date_field}__lt": f"{next_month.isoformat()} 00:00:00+00:00"}
        before = row_at(table, date_field, offset - 1) if offset else None
        questions = {
            "unfiltered": ({}, {}),
            "by NPC": ({"npc__id__exact": npc_id}, {"npc": npc_id}),
            "by type": ({f"{type_field}__exact": type_value}, {f"{type_field}__exact": type_value}),
            "by date range": (dates, dates),
            f"deep page (row {offset:,})": ({"p": deep},
                                            {"cursor": encode_cursor(*before)} if before else {"p": deep}),
        }
        for question, (stock_params, project_params) in questions.items():
            for site, params in (("stock", stock_params), ("project", project_params)):
                query = f"?{urlencode(params)}" if params else ""
                urls.append((f"{table} · {question} · {site}", f"{SITES[site]}/{path}{query}"))
        project_per_page = 50
        urls.append((f"{table} · deep page (row {offset:,}) by number, OFFSET · project",
                     f"{SITES['project']}/{path}?p={offset // project_per_page + 1}"))
    return urls


def measure(client: Client, label: str, url: str, *, repeat: int, warmup: int, plan_ms: float) -> Measurement:
    result = Measurement(label, url)
    for _ in range(warmup):
        client.get(url)
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            result.times_ms.append((time.perf_counter() - started) * 1000)
        result.status = response.status_code
        result.queries = len(captured.captured_queries)
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]), default=None)
        if slowest is not None and float(slowest["time"]) * 1000 >= result.slowest_ms:
            result.slowest_ms = float(slowest["time"]) * 1000
            result.slowest_sql = slowest["sql"]
    if result.median > plan_ms and result.slowest_sql.lstrip().upper().startswith("SELECT"):
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + result.slowest_sql)
            result.plan = "\n".join(row[0] for row in cursor.fetchall())
    return result


def markdown(results: list[Measurement], *, repeat: int, command: str, deep_repeat: int | None = None) -> str:
    rows = {r.label: r for r in results}
    lines = [
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {repeat} runs per URL"
        + (f" ({deep_repeat} for the OFFSET deep pages)" if deep_repeat else "") + ", "
        f"npc_decisions ≈ {estimated_rows('npc_decisions'):,} rows, npc_memory ≈ {estimated_rows('npc_memory'):,} "
        f"rows.\n\nReproduce: `{command}`\n",
        "| changelist | status | median ms | p95 ms | queries | slowest query ms | stock ÷ project (median) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = ""
        if r.label.endswith("· project"):
            stock = rows.get(r.label.replace("· project", "· stock"))
            if stock and r.status == 200 and stock.status == 200:
                ratio = f"{stock.median / r.median:.1f}×"
        lines.append(f"| {r.label} (`{r.url}`) | {r.status} | {r.median:.1f} | {r.p95:.1f} | {r.queries} | "
                     f"{r.slowest_ms:.1f} | {ratio} |")
    lines += plans_markdown("Plans of the slowest query of each changelist over the threshold:",
                            [(r.label, r.slowest_ms, r.slowest_sql, r.plan) for r in results if r.plan])
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="*", help="URLs to time (default: the stock and project changelists)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--deep-repeat", type=int, help="runs of the OFFSET deep pages, ~30 s each at 10M rows "
                        "on a busy machine (default: --repeat); no warm-up for them")
    parser.add_argument("--plan-ms", type=float, default=100.0, help="EXPLAIN the slowest query above this median")
    parser.add_argument("--only", choices=sorted(SITES), help="only the stock or only the project admin")
    add_write_argument(parser, "changelist")
    args = parser.parse_args(argv)

    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
                           DEBUG=False, SECURE_SSL_REDIRECT=False, NPCADMIN_STATEMENT_TIMEOUT_MS=0):
        user, _ = get_user_model().objects.get_or_create(
            username="bench-superuser", defaults={"is_staff": True, "is_superuser": True})
        client = Client()
        client.force_login(user)
        urls = [(url, url) for url in args.urls] if args.urls else default_urls()
        if args.only:
            urls = [(label, url) for label, url in urls if url.startswith(SITES[args.only] + "/")]
        results = []
        for label, url in urls:
            # OFFSET deep pages (the stock admin's, and the project's `?p=N` row kept for comparison).
            deep = bool(args.deep_repeat) and "deep page" in label and (label.endswith("· stock") or "OFFSET" in label)
            result = measure(client, label, url, repeat=args.deep_repeat if deep else args.repeat,
                             warmup=0 if deep else args.warmup, plan_ms=args.plan_ms)
            results.append(result)
            print(f"{result.status} {result.median:8.1f} ms median {result.p95:8.1f} ms p95 {result.queries:3} queries"
                  f"  {label}", flush=True)
    body = markdown(results, repeat=args.repeat, deep_repeat=args.deep_repeat,
                    command=command_line("changelist.py", argv))
    publish(args.write, "changelist", "Admin changelists", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
