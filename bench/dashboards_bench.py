#!/usr/bin/env python
"""Every analytics dashboard's server time on the generated data, against the raw-table answer.

    .venv/bin/python bench/generate_data.py --scale 1          # 43.2M npc_metrics + hourly rollup
    .venv/bin/python bench/dashboards_bench.py --repeat 5 --write docs/benchmarks.md

Runs on the development database (the data of `bench/generate_data.py`), through Django's test
client as a logged-in superuser, so a number is the whole request: session, SQL, Plotly figures,
template. For each dashboard URL:

* cold: the Redis cache cleared before each request (what the first viewer of a range pays);
* warm: served from the cache (everyone after, for the range's TTL);
* raw baseline: the same page, cold, with the hourly aggregate switched off
  (`analytics.sources.raw_baseline()`: every hour a GROUP BY of npc_metrics, on either backend: neither the NPC-hour
  nor the world-hour rollup is read), so every hour is
  aggregated from the raw `npc_metrics` samples: the same question asked of the raw table.
  For the decisions board, `analytics.decisions_rollup.state` answers "nothing rolled up"
  instead, so every hour is aggregated from raw `npc_decisions` rows (grouped counts and
  latency bins computed from every row of the range: the rollup's own question asked of the
  raw table; the exact `percentile_cont` version, `?exact=1`, sorts as well and is slower).
  Battles, economy and diplomacy read the engine's logs with no aggregate: their baseline is
  themselves.

Medians and p95 over --repeat requests, query counts, and the EXPLAIN (ANALYZE) plan of the
slowest query of every cold page whose median is over --plan-ms.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from bench.report import add_write_argument, command_line, plans_markdown, publish  # noqa: E402

METRIC_BOARDS = {"overview", "npc", "decisions"}
# What "no aggregate" means for each board with one (the raw baseline).
RAW_SWITCH = {"decisions": ("analytics.decisions_rollup.state", (None, set()))}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def urls(range_key: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM npcs WHERE name LIKE 'bench-npc-%%' ORDER BY id LIMIT 1")
        row = cursor.fetchone()
    npc = row[0] if row else 1
    world = settings.NPCADMIN_WORLDS[0]
    return [
        ("overview", f"/analytics/overview/?range={range_key}"),
        ("overview", f"/analytics/overview/?range={range_key}&world={world}"),
        ("npc", f"/analytics/npc/?range={range_key}&npc={npc}"),
        ("decisions", f"/analytics/decisions/?range={range_key}"),
        ("battles", f"/analytics/battles/?range={range_key}"),
        ("economy", f"/analytics/economy/?range={range_key}"),
        ("diplomacy", f"/analytics/diplomacy/?range={range_key}&world={world}"),
    ]


def timed_get(client: Client, url: str, *, clear: bool):
    if clear:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(url)
        ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return ms, captured.captured_queries


def explain(query: dict) -> str:
    sql = query["sql"]
    if not sql.lstrip().upper().startswith(("SELECT", "WITH", "(")):
        return ""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def measure(client: Client, url: str, repeat: int, plan_ms: float, raw_repeat: int, metric: bool,
            switch: tuple[str, object] | None = None) -> dict:
    client.get(url)  # warm Python (plotly validators, templates), as a running server is
    cold, queries = [], []
    for _ in range(repeat):
        ms, queries = timed_get(client, url, clear=True)
        cold.append(ms)
    warm = [timed_get(client, url, clear=False)[0] for _ in range(repeat)]
    result = {"url": url, "cold": cold, "warm": warm, "queries": len(queries), "plan": "", "slowest_ms": 0.0,
              "slowest_sql": "", "raw": None}
    slowest = max(queries, key=lambda q: float(q["time"]), default=None)
    if slowest is not None:
        result["slowest_ms"] = float(slowest["time"]) * 1000
        result["slowest_sql"] = slowest["sql"]
        if statistics.median(cold) > plan_ms:
            result["plan"] = explain(slowest)
    if metric:
        from analytics.sources import raw_baseline

        # The same question as a GROUP BY of npc_metrics, on either backend; `switch` also turns
        # off another rollup (the decisions dashboard's) for its raw baseline.
        with raw_baseline(), (mock.patch(switch[0], return_value=switch[1]) if switch else contextlib.nullcontext()):
            raw = [timed_get(client, url, clear=True)[0] for _ in range(raw_repeat)]
        result["raw"] = raw
    cache.clear()
    return result


def markdown(results: list[dict], *, command: str, repeat: int, raw_repeat: int) -> str:
    from analytics.storage import TIMESCALEDB, metrics_backend

    backend = metrics_backend()
    with connection.cursor() as cursor:
        if backend == TIMESCALEDB:  # chunks are inheritance children, not partitions
            cursor.execute("SELECT approximate_row_count('npc_metrics')")
        else:
            cursor.execute("SELECT coalesce(sum(c.reltuples), 0)::bigint FROM pg_class c WHERE c.oid IN "
                           "(SELECT relid FROM pg_partition_tree('npc_metrics') WHERE isleaf)")
        metrics = cursor.fetchone()[0]
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]
        if backend == TIMESCALEDB:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
            server += f", TimescaleDB {cursor.fetchone()[0]}"
        cursor.execute("SELECT count(*) FROM npc_metrics_hourly_by_world")
        hourly = cursor.fetchone()[0]
        cursor.execute("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'npc_decisions'::regclass")
        decisions = cursor.fetchone()[0]
    lines = [
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, metrics backend **{backend}** "
        f"({server}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end), on the "
        "generated data: npc_metrics ≈ "
        f"{metrics:,} raw samples, npc_metrics_hourly_by_world {hourly:,} rows, npc_decisions ≈ {decisions:,}; "
        f"{repeat} requests per URL (raw baseline: {raw_repeat}). Server time of the whole request "
        "(Django test client: SQL, Plotly figures, template).",
        "",
        f"Reproduce: `{command}`",
        "",
        "| dashboard | cold median ms | cold p95 ms | warm (Redis) median ms | warm p95 ms | queries (cold) "
        "| slowest query ms | raw-table baseline median ms | raw ÷ cold |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cold = statistics.median(r["cold"])
        raw = statistics.median(r["raw"]) if r["raw"] else None
        lines.append(
            f"| `{r['url']}` | {cold:.0f} | {percentile(r['cold'], 0.95):.0f} | {statistics.median(r['warm']):.0f} | "
            f"{percentile(r['warm'], 0.95):.0f} | {r['queries']} | {r['slowest_ms']:.0f} | "
            + (f"{raw:,.0f} | {raw / cold:.1f}× |" if raw else "no aggregate (reads the log table) | |")
        )
    lines += plans_markdown("Plans of the slowest query of each dashboard whose cold median is over the threshold:",
                            [(r["url"], r["slowest_ms"], r["slowest_sql"], r["plan"]) for r in results if r["plan"]],
                            sql_chars=3000)
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--range", default="30d", help="quick range of every URL (default 30d)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--raw-repeat", type=int, default=3, help="requests of each raw-table baseline")
    parser.add_argument("--plan-ms", type=float, default=100.0)
    parser.add_argument("--only", action="append", help="only these dashboards (slug, repeatable)")
    add_write_argument(parser, "dashboards")
    parser.add_argument("--section", default="dashboards", help="the section of --write to replace")
    args = parser.parse_args(argv)
    # No statement timeout: the raw baselines take longer than a page may (the baseline at its best).
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], DEBUG=False,
                           SECURE_SSL_REDIRECT=False, NPCADMIN_STATEMENT_TIMEOUT_MS=0):
        user, _ = get_user_model().objects.get_or_create(
            username="bench-superuser", defaults={"is_staff": True, "is_superuser": True})
        client = Client()
        client.force_login(user)
        results = []
        for slug, url in urls(args.range):
            if args.only and slug not in args.only:
                continue
            result = measure(client, url, args.repeat, args.plan_ms, args.raw_repeat, slug in METRIC_BOARDS,
                             *([RAW_SWITCH[slug]] if slug in RAW_SWITCH else []))
            results.append(result)
            raw = f"raw {statistics.median(result['raw']):8.0f} ms" if result["raw"] else ""
            print(f"{statistics.median(result['cold']):8.0f} ms cold {percentile(result['cold'], 0.95):8.0f} p95 "
                  f"{statistics.median(result['warm']):6.0f} ms warm {result['queries']:3} queries {raw}  {url}",
                  flush=True)
    body = markdown(results, command=command_line("dashboards_bench.py", argv), repeat=args.repeat,
                    raw_repeat=args.raw_repeat)
    title = "Dashboards on the generated data" if args.section == "dashboards" else f"Dashboards: {args.section}"
    publish(args.write, args.section, title, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
