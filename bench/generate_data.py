#!/usr/bin/env python
"""Fill the database with benchmark volumes through COPY (never the ORM) and report rows/second.

At --scale 1: 500 NPCs, 10M `npc_decisions` over the last 12 months, 10M `npc_memory` over
12 monthly partitions (created first with `npcs.partitions.ensure_months`; 10 % of them
already expired, for `memory_retention`), both in time order as the engine writes them,
and, when the analytics app's `npc_metrics` table exists, 500 NPCs × one sample a minute ×
60 days = 43.2M metric rows, then the hourly aggregate (`manage.py refresh_metrics_hourly`,
when that command exists). `--scale 0.01` makes everything a hundredth (metrics: a hundredth
of the days).

    .venv/bin/python bench/generate_data.py --scale 0.01            # the private PostgreSQL
    DATABASE_URL=postgres://... .venv/bin/python bench/generate_data.py  # any PostgreSQL

Rows are appended: run with --truncate to empty the benchmark tables first (asks first).
Reproducible: the same --seed gives the same rows.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command, get_commands  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from npcs import partitions  # noqa: E402
from npcs.choices import DecisionType, MemoryType, Personality, Tribe  # noqa: E402

NPC_COUNT = 500
DECISIONS = 10_000_000
MEMORIES = 10_000_000
METRIC_DAYS = 60
MONTHS = 12
CHUNK = 50_000
NULL = "\\N"  # COPY text format
WORLDS = ("testworld", "demo")
NPC_PREFIX = "bench-npc-"


def copy_rows(table: str, columns: list[str], rows, total: int, label: str) -> tuple[int, float]:
    """COPY text-format lines from the generator `rows` into `table`; returns (rows, seconds)."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    started = time.monotonic()
    done = 0
    raw = connection.connection  # the psycopg 3 connection behind Django's
    with transaction.atomic(), raw.cursor() as cursor, cursor.copy(sql) as copy:
        buffer: list[str] = []
        for line in rows:
            buffer.append(line)
            if len(buffer) >= CHUNK:
                copy.write("".join(buffer))
                done += len(buffer)
                buffer.clear()
                _progress(label, done, total, started)
        if buffer:
            copy.write("".join(buffer))
            done += len(buffer)
    seconds = time.monotonic() - started
    _progress(label, done, total, started, final=True)
    return done, seconds


def _progress(label, done, total, started, final=False):
    elapsed = max(time.monotonic() - started, 1e-9)
    end = "\n" if final else "\r"
    print(f"  {label}: {done:>11,}/{total:,} rows, {done / elapsed:>9,.0f} rows/s", end=end, file=sys.stderr,
          flush=True)


def ensure_npcs(rng: random.Random) -> list[int]:
    """The 500 benchmark NPCs (created once, by COPY as well) and one world state each."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM npcs WHERE name LIKE %s ORDER BY id", [NPC_PREFIX + "%"])
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) >= NPC_COUNT:
        return ids[:NPC_COUNT]
    from tests.factories.npcs import template_for

    start = len(ids)

    def npcs():
        for n in range(start, NPC_COUNT):
            personality = Personality.values[n % len(Personality.values)]
            template = json.dumps(template_for(personality, rng))
            yield f"{NPC_PREFIX}{n:05d}\t{Tribe.values[n % 3]}\t{personality}\t{template}\n"

    copy_rows("npcs", ["name", "tribe", "personality", "behavior_template"], npcs(), NPC_COUNT - start, "npcs")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM npcs WHERE name LIKE %s ORDER BY id", [NPC_PREFIX + "%"])
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            """
            INSERT INTO npc_world_state (npc_id, world_id, player_id, rank, total_population, village_count)
            SELECT id, CASE WHEN id %% 2 = 0 THEN 'testworld' ELSE 'demo' END, 900000 + id, id, 100 + id %% 900, 1
            FROM npcs WHERE name LIKE %s
            ON CONFLICT DO NOTHING
            """,
            [NPC_PREFIX + "%"],
        )
    return ids


def _ts(moment: datetime.datetime) -> str:
    return moment.isoformat()


def decision_rows(n: int, npc_ids: list[int], now: datetime.datetime, rng: random.Random):
    types = DecisionType.values
    span = MONTHS * 30 * 86400
    summaries = [f"Situation {i}: warehouse at {rng.randint(40, 99)}%, {rng.randint(0, 9)} attacks incoming"
                 for i in range(64)]
    finals = [json.dumps({"action": a, "target": rng.randint(1, 9999)})
              for a in ("build", "train", "attack", "trade", "settle") for _ in range(8)]
    step = span / max(n, 1)
    first = now - datetime.timedelta(seconds=span)
    for i in range(n):
        npc = npc_ids[rng.randrange(len(npc_ids))]
        world = WORLDS[npc % 2]
        # In time order, as the engine writes them: ids and timestamps correlate like in production
        # (and index inserts append instead of splitting pages all over the tree).
        created = first + datetime.timedelta(seconds=i * step + rng.random() * step)
        llm = rng.random() < 0.3
        yield (f"{npc}\t{world}\t{types[rng.randrange(7)]}\t{summaries[i & 63]}\t{'t' if llm else 'f'}\t"
               f"{rng.randint(200, 4000) if llm else NULL}\t{finals[i % 40]}\t{'t' if i % 3 else 'f'}\t"
               f"{rng.randint(1, 900)}\t{rng.random():.3f}\t{_ts(created)}\n")


DECISION_COLUMNS = ["npc_id", "world_id", "decision_type", "situation_summary", "used_llm", "llm_latency_ms",
                    "final_decision", "executed", "decision_latency_ms", "decision_confidence", "created_at"]


def memory_rows(n: int, npc_ids: list[int], months: list[datetime.date], now: datetime.datetime,
                rng: random.Random):
    types = MemoryType.values
    events = [json.dumps({"battle_id": rng.randint(1, 10**6), "opponent": f"Player{rng.randint(1, 999)}",
                          "result": rng.choice(["victory", "defeat"])}) for _ in range(64)]
    first = datetime.datetime.combine(months[0], datetime.time(), tzinfo=datetime.UTC)
    step = (now - first).total_seconds() / max(n, 1)
    for i in range(n):
        npc = npc_ids[rng.randrange(len(npc_ids))]
        occurred = first + datetime.timedelta(seconds=i * step + rng.random() * step)
        # 10 % expired already (for memory_retention), 20 % expiring later, the rest kept for ever.
        roll = i % 10
        if roll == 0:
            expires = _ts(min(occurred + datetime.timedelta(days=rng.randint(1, 30)), now))
        elif roll < 3:
            expires = _ts(now + datetime.timedelta(days=rng.randint(1, 90)))
        else:
            expires = NULL
        yield (f"{npc}\t{WORLDS[npc % 2]}\t{types[rng.randrange(10)]}\t{events[i & 63]}\t"
               f"{rng.random():.3f}\t{_ts(occurred)}\t{rng.randint(1, 400)}\t{expires}\n")


MEMORY_COLUMNS = ["npc_id", "world_id", "memory_type", "event_data", "importance", "occurred_at", "game_day",
                  "expires_at"]

METRIC_COLUMNS = ["time", "npc_id", "world_id", "wood", "clay", "iron", "wheat", "wood_production",
                  "clay_production", "iron_production", "wheat_production", "offensive_power", "defensive_power",
                  "total_troops", "rank", "population", "villages", "economic_efficiency", "military_efficiency",
                  "diplomatic_score"]


def metric_rows(minutes: int, npc_ids: list[int], now: datetime.datetime):
    """One sample a minute per NPC, ending now; values drift smoothly so charts look like a game."""
    start = now.replace(second=0, microsecond=0) - datetime.timedelta(minutes=minutes)
    for m in range(minutes):
        stamp = _ts(start + datetime.timedelta(minutes=m))
        for k, npc in enumerate(npc_ids):
            g = m // 60 + k
            prod = 20 + (g % 200)
            yield (f"{stamp}\t{npc}\t{WORLDS[npc % 2]}\t{(g * 7) % 80000}\t{(g * 5) % 80000}\t{(g * 3) % 80000}\t"
                   f"{(g * 11) % 80000}\t{prod}\t{prod + 3}\t{prod - 5}\t{prod + 10}\t{g % 50000}\t{g % 40000}\t"
                   f"{g % 9000}\t{1 + k}\t{100 + g % 5000}\t{1 + g % 8}\t0.5\t0.5\t0.5\n")


def table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full volumes (default 1)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--only", choices=["decisions", "memory", "metrics"], action="append",
                        help="generate only these tables (repeatable)")
    parser.add_argument("--truncate", action="store_true",
                        help="TRUNCATE npc_decisions, npc_memory (and npc_metrics) first: destroys all their rows")
    parser.add_argument("--no-input", action="store_true", help="do not ask before --truncate")
    parser.add_argument("--report", type=Path, help="also write the timings as JSON here")
    parser.add_argument("--write", type=Path, help="update the generator section of this markdown file")
    args = parser.parse_args(argv)
    tables = set(args.only or ["decisions", "memory", "metrics"])
    rng = random.Random(args.seed)
    now = timezone.now()
    has_metrics = table_exists("npc_metrics")

    if args.truncate:
        targets = ["npc_decisions", "npc_memory"] + (["npc_metrics"] if has_metrics else [])
        if not args.no_input and input(f"TRUNCATE {', '.join(targets)}? [y/N] ").strip().lower() != "y":
            print("aborted")
            return 1
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE npc_decisions, npc_memory")
        if has_metrics:
            from analytics.services import metrics_delete

            metrics_delete()  # the samples and every rollup built from them

    results = {}
    npc_ids = ensure_npcs(rng)
    if "memory" in tables:
        months = [partitions.add_months(partitions.month_start(now.date()), -n) for n in range(MONTHS - 1, -1, -1)]
        created = partitions.ensure_months(months)
        print(f"  partitions: {len(created)} created ({', '.join(created) or 'all existed'})", file=sys.stderr)
    if "decisions" in tables:
        n = int(DECISIONS * args.scale)
        results["npc_decisions"] = copy_rows("npc_decisions", DECISION_COLUMNS,
                                             decision_rows(n, npc_ids, now, rng), n, "npc_decisions")
    if "memory" in tables:
        n = int(MEMORIES * args.scale)
        results["npc_memory"] = copy_rows("npc_memory", MEMORY_COLUMNS,
                                          memory_rows(n, npc_ids, months, now, rng), n, "npc_memory")
    if "metrics" in tables:
        if not has_metrics:
            print("  npc_metrics: skipped (the analytics app's table does not exist yet)", file=sys.stderr)
        else:
            minutes = int(METRIC_DAYS * 24 * 60 * args.scale)
            # Monthly partitions first (analytics.partitions, as `ingest_metrics` does): without them
            # every row lands in npc_metrics_default and no chart query can prune.
            from analytics import partitions as metric_partitions

            first = now - datetime.timedelta(minutes=minutes + 1)
            created = metric_partitions.ensure_months(list(metric_partitions.months_between(first, now)))
            print(f"  npc_metrics partitions: {len(created)} created", file=sys.stderr)
            results["npc_metrics"] = copy_rows("npc_metrics", METRIC_COLUMNS, metric_rows(minutes, npc_ids, now),
                                               minutes * len(npc_ids), "npc_metrics")
            if "refresh_metrics_hourly" in get_commands():
                started = time.monotonic()
                call_command("refresh_metrics_hourly")
                results["npc_metrics_hourly_by_world (refresh)"] = (0, time.monotonic() - started)
    started = time.monotonic()
    with connection.cursor() as cursor:
        for table in results:
            cursor.execute(f"ANALYZE {table.split()[0]}")
    analyze_seconds = time.monotonic() - started

    copied = [value for table, value in results.items() if "(refresh)" not in table]
    total_rows = sum(rows for rows, _ in copied)
    total_seconds = sum(seconds for _, seconds in copied)  # COPY only: the rollup is listed on its own line
    print(f"\n{'table':<30}{'rows':>14}{'seconds':>10}{'rows/s':>12}")
    for table, (rows, seconds) in results.items():
        print(f"{table:<30}{rows:>14,}{seconds:>10.1f}{rows / seconds if rows else 0:>12,.0f}")
    print(f"{'total (COPY)':<30}{total_rows:>14,}{total_seconds:>10.1f}"
          f"{total_rows / total_seconds if total_seconds else 0:>12,.0f}")
    print(f"ANALYZE: {analyze_seconds:.1f} s")
    if args.write:
        from bench.report import write_section

        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        host = connection.settings_dict.get("HOST") or ""
        server = "the private PostgreSQL (Unix socket)" if host.startswith("/") else f"PostgreSQL at {host}"
        command = " ".join(argv if argv is not None else sys.argv[1:])
        lines = [f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
                 f"(load average {load:.1f} at the end), {server}.",
                 "", f"Reproduce: `python bench/generate_data.py {command}`",
                 "", "| table | rows | seconds | rows/s |", "|---|---:|---:|---:|"]
        for table, (rows, seconds) in results.items():
            lines.append(f"| {table} | {rows:,} | {seconds:.1f} | {rows / seconds if rows else 0:,.0f} |")
        lines.append(f"| total (COPY) | {total_rows:,} | {total_seconds:.1f} | "
                     f"{total_rows / total_seconds if total_seconds else 0:,.0f} |")
        write_section(args.write, f"generator-{args.scale:g}", f"Data generator, --scale {args.scale:g}",
                      "\n".join(lines) + "\n")
    if args.report:
        args.report.write_text(json.dumps({"scale": args.scale, "tables": {
            t: {"rows": r, "seconds": round(s, 3)} for t, (r, s) in results.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
