#!/usr/bin/env python
"""Moving a month out of npc_memory's default partition while the engine inserts memories.

    .venv/bin/python bench/partition_move.py [--rows 1000000] [--batch-size 10000] [--rate 200]
                                             [--baseline-seconds 20] [--old] [--write docs/benchmarks.md]

An engine process (its own psycopg session, plain INSERTs, autocommit, `--rate` a second) writes
memories of the current month, and every tenth one a late memory of the month being moved (it
lands in the default partition). Phases, all in one run:

1. baseline: the engine alone for `--baseline-seconds`;
2. move: `--rows` memories of month 2039-03 wait in the default partition, then
   `npcs.partitions.create_month` builds the month beside the table, moves them in batches and
   attaches it, while the engine keeps inserting;
3. with `--old`: the same rows moved the way 0.x did (one transaction under ACCESS EXCLUSIVE on
   npc_memory: copy out, delete, CREATE TABLE ... PARTITION OF, copy back), for comparison.

Reports each phase's INSERT latency (p50/p95/p99/max), the move's duration, that every engine
row is stored and no row is left in the default partition. Runs against the development database
(DJANGO_SETTINGS_MODULE defaults to npcadmin.settings.local; run `manage.py migrate_all` first) and
removes what it created (its NPC, its month).
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
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

import psycopg  # noqa: E402
from django.db import connection  # noqa: E402
from psycopg import sql  # noqa: E402

from npcs import partitions  # noqa: E402

MONTH = datetime.date(2039, 3, 1)
LATE = datetime.datetime(2039, 3, 15, 12, tzinfo=datetime.UTC)
NAME = "bench-partition-move"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def session() -> psycopg.Connection:
    return psycopg.connect(**connection.get_connection_params(), autocommit=True)


def _where_to_connect() -> dict:
    params = connection.get_connection_params()
    return {k: params[k] for k in ("host", "port", "dbname", "user", "password") if k in params}


def _engine_loop(where: dict, npc_id: int, interval: float, tag: str, stop, out) -> None:
    """The engine: a process of its own (as the real one is), one INSERT every `interval` seconds."""
    samples, errors = [], []
    with psycopg.connect(**where, autocommit=True) as conn:
        n, next_at = 0, time.perf_counter()
        while not stop.is_set():
            late = n % 10 == 9
            when = LATE if late else datetime.datetime.now(datetime.UTC)
            sent = time.perf_counter()
            try:
                conn.execute("INSERT INTO npc_memory (npc_id, world_id, memory_type, event_data, occurred_at) "
                             "VALUES (%s, 'bench', 'battle', jsonb_build_object('bench', %s::text), %s)",
                             [npc_id, tag, when])
                samples.append(((time.perf_counter() - sent) * 1000, late))
            except psycopg.Error as exc:
                errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
            n += 1
            next_at += interval
            time.sleep(max(0.0, next_at - time.perf_counter()))
    out.send((samples, errors))


class Engine:
    """Starts the engine process; `halt()` returns its samples (service ms, scheduled ms, late?) and errors."""

    def __init__(self, npc_id: int, rate: float, tag: str):
        context = multiprocessing.get_context("fork")
        self.stop = context.Event()
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_engine_loop, daemon=True,
                                       args=(_where_to_connect(), npc_id, 1.0 / rate, tag, self.stop, send))

    def start(self):
        self.process.start()

    def halt(self):
        self.stop.set()
        result = self.receive.recv()
        self.process.join()
        return result


def stats(samples: list[tuple[float, bool]]) -> dict:
    values = [s[0] for s in samples]
    return {"n": len(values), "p50": statistics.median(values), "p95": percentile(values, 0.95),
            "p99": percentile(values, 0.99), "max": max(values)}


def load_default(conn, npc_id: int, rows: int) -> float:
    started = time.perf_counter()
    conn.execute(
        "INSERT INTO npc_memory (npc_id, world_id, memory_type, event_data, importance, occurred_at) "
        "SELECT %s, 'bench', (ARRAY['battle','trade','message'])[1 + g %% 3], "
        "jsonb_build_object('n', g, 'note', repeat('x', 40)), (g %% 100) / 100.0, "
        "%s::timestamptz + (g %% 2678400) * interval '1 second' FROM generate_series(1, %s) g",
        [npc_id, datetime.datetime(2039, 3, 1, tzinfo=datetime.UTC), rows])
    conn.execute("ANALYZE npc_memory_default")
    return time.perf_counter() - started


def move_old_way(conn) -> None:
    """0.x's statements: everything in one transaction under ACCESS EXCLUSIVE on npc_memory."""
    start = datetime.datetime(2039, 3, 1, tzinfo=datetime.UTC)
    end = datetime.datetime(2039, 4, 1, tzinfo=datetime.UTC)
    with conn.transaction():
        conn.execute("LOCK TABLE npc_memory IN ACCESS EXCLUSIVE MODE")
        conn.execute("CREATE TEMP TABLE _move ON COMMIT DROP AS SELECT * FROM npc_memory_default "
                     "WHERE occurred_at >= %s AND occurred_at < %s", [start, end])
        conn.execute("DELETE FROM npc_memory_default WHERE occurred_at >= %s AND occurred_at < %s", [start, end])
        conn.execute(sql.SQL("CREATE TABLE {} PARTITION OF npc_memory FOR VALUES FROM ({}) TO ({})").format(
            sql.Identifier(partitions.partition_name(MONTH)), sql.Literal(start), sql.Literal(end)))
        conn.execute("INSERT INTO npc_memory SELECT * FROM _move")


def drop_month(conn) -> None:
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(partitions.partition_name(MONTH))))


def phase(label: str, npc_id: int, rate: float, work) -> dict:
    engine = Engine(npc_id, rate, label)
    engine.start()
    time.sleep(1.0)  # the engine is at speed before the work starts
    started = time.perf_counter()
    detail = work()
    took = time.perf_counter() - started
    time.sleep(1.0)
    samples, errors = engine.halt()
    with session() as conn:  # every INSERT the engine was told succeeded is there
        (stored,) = conn.execute("SELECT count(*) FROM npc_memory WHERE npc_id = %s AND event_data->>'bench' = %s",
                                 [npc_id, label]).fetchone()
    result = {"label": label, "seconds": took, "errors": errors, "detail": detail, **stats(samples),
              "late": stats([s for s in samples if s[1]]), "engine_rows": len(samples),
              "stored_ok": stored == len(samples)}
    print(f"{label:<28} {took:7.1f} s  inserts {result['n']:6}  p50 {result['p50']:6.1f}  p95 {result['p95']:6.1f}  "
          f"p99 {result['p99']:7.1f}  max {result['max']:8.1f} ms  late-row p99 {result['late']['p99']:7.1f} ms  "
          f"{result['n'] / (took + 2):5.0f}/s  errors {len(errors)}", flush=True)
    return result


def run(args) -> list[dict]:
    results = []
    with session() as conn:
        drop_month(conn)
        conn.execute("DELETE FROM npcs WHERE name = %s", [NAME])
        (npc_id,) = conn.execute("INSERT INTO npcs (name, tribe, personality, behavior_template) VALUES "
                                 "(%s, 'Gauls', 'economic', '{\"aggression\": 0.2}') RETURNING id",
                                 [NAME]).fetchone()
        partitions.ensure_months([datetime.date.today()])
        try:
            results.append(phase("baseline (engine alone)", npc_id, args.rate,
                                 lambda: time.sleep(args.baseline_seconds)))
            print(f"loading {args.rows} rows into the default partition: {load_default(conn, npc_id, args.rows):.1f} s",
                  flush=True)
            results.append(phase(f"move (batches of {args.batch_size})", npc_id, args.rate,
                                 lambda: partitions.create_month(MONTH, batch_size=args.batch_size,
                                                                 pause=args.pause)))
            results[-1]["left_in_default"] = conn.execute("SELECT count(*) FROM npc_memory_default").fetchone()[0]
            results[-1]["in_month"] = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier(partitions.partition_name(MONTH)))).fetchone()[0]
            if args.old:
                conn.execute(sql.SQL("ALTER TABLE npc_memory DETACH PARTITION {}").format(
                    sql.Identifier(partitions.partition_name(MONTH))))
                drop_month(conn)
                conn.execute("DELETE FROM npc_memory_default WHERE npc_id = %s", [npc_id])
                load_default(conn, npc_id, args.rows)
                results.append(phase("old way (ACCESS EXCLUSIVE)", npc_id, args.rate, lambda: move_old_way(conn)))
        finally:
            drop_month(conn)
            conn.execute("DELETE FROM npc_memory WHERE npc_id = %s", [npc_id])
            conn.execute("DELETE FROM npcs WHERE id = %s", [npc_id])
    return results


def markdown(results: list[dict], args) -> str:
    base = results[0]
    lines = [
        "## npc_memory: moving a month out of the default partition while the engine inserts",
        "",
        f"`bench/partition_move.py --rows {args.rows} --batch-size {args.batch_size} --rate {args.rate:g} "
        f"--pause {args.pause:g}"
        f"{' --old' if args.old else ''}`, {datetime.date.today():%Y-%m-%d}, PostgreSQL "
        f"{connection.cursor().connection.info.server_version // 10000} (embedded, Unix socket). An engine process "
        f"on its own session INSERTs {args.rate:g} memories a second (every tenth a late memory of the month being "
        "moved, which lands in the default partition) during each phase. The baseline is the same engine alone "
        "in the same run. Latencies are each INSERT's time from sending to its answer (one session, one INSERT "
        "at a time, autocommit); an engine that is blocked sends fewer, which the inserts-a-second column "
        "shows. The machine is shared by several jobs on 2 cores; figures vary between runs, the ratios less.",
        "",
        "| phase | duration | inserts (a second) | p50 ms | p95 ms | p99 ms | max ms | p99 / baseline | "
        "late rows p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rate = r["n"] / (r["seconds"] + 2)  # the engine also runs 1 s before and after the work
        lines.append(f"| {r['label']} | {r['seconds']:.1f} s | {r['n']} ({rate:.0f}) | {r['p50']:.1f} | "
                     f"{r['p95']:.1f} | "
                     f"{r['p99']:.1f} | {r['max']:.1f} | {r['p99'] / base['p99']:.1f}× | {r['late']['p99']:.1f} | "
                     f"{len(r['errors'])} |")
    move = results[1]
    lines += ["", f"After the move: {move['in_month']} rows in `{partitions.partition_name(MONTH)}`, "
                  f"{move['left_in_default']} left in the default partition; every engine row stored: "
                  f"{'yes' if all(r['stored_ok'] for r in results) else 'NO'}.", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=partitions.MOVE_BATCH)
    parser.add_argument("--rate", type=float, default=200.0, help="engine INSERTs a second")
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between batches")
    parser.add_argument("--old", action="store_true", help="also time the old single-transaction move")
    parser.add_argument("--write", type=Path, help="append the results to this markdown file")
    args = parser.parse_args()
    results = run(args)
    text = markdown(results, args)
    print(text)
    if args.write:
        with args.write.open("a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
