#!/usr/bin/env python
"""The decision queue through the project's client against redis-benchmark on the same Redis.

    .venv/bin/python bench/queue_bench.py [--ops 20000] [--concurrency 50] [--write docs/benchmarks.md]

Pushes `--ops` decisions with `RuntimeClient.queue_decision` (a ZADD of a JSON member with a
fresh `_qid`, the engine's `npc:decisions:{priority}` format) and pops them all with
`RuntimeClient.pop_next_decision` (a Lua script: ZPOPMIN over priorities 1..10, most urgent
first); once one at a time (one round trip each: latency) and once with `--concurrency`
coroutines on one connection pool (throughput). The baseline is `redis-benchmark` with the
same two commands (`ZADD`, `ZPOPMIN`) over the same Unix socket, with 1 and with
`--concurrency` clients. Both run in Redis database `--db` (default 15), flushed before and
after, so the project's own keys are never touched.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime
import io
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from redis import asyncio as aioredis  # noqa: E402

from npcs.runtime.client import RuntimeClient  # noqa: E402

DECISION = {"type": "build", "village_id": 12345, "building": "warehouse", "level": 7,
            "reason": "warehouse at 93%, wheat production negative"}


def redis_target() -> dict:
    """Where REDIS_URL points: a Unix socket (the private Redis) or host/port."""
    from urllib.parse import urlparse

    url = urlparse(settings.REDIS_URL)
    if url.scheme == "unix":
        return {"socket": url.path}
    return {"host": url.hostname or "localhost", "port": url.port or 6379}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def run_client(target: dict, db: int, ops: int, concurrency: int) -> dict[str, dict[str, float]]:
    if "socket" in target:
        redis = aioredis.Redis(unix_socket_path=target["socket"], db=db, decode_responses=True,
                               max_connections=max(concurrency, 1) + 2)
    else:
        redis = aioredis.Redis(host=target["host"], port=target["port"], db=db, decode_responses=True,
                               max_connections=max(concurrency, 1) + 2)
    client = RuntimeClient(redis)
    await redis.flushdb()
    results = {}
    try:
        for workers in (1, concurrency):
            for name, op in (("push", lambda n: client.queue_decision(n % 500 + 1, DECISION, priority=1 + n % 10)),
                             ("pop", lambda n: client.pop_next_decision())):
                latencies: list[float] = []

                async def worker(first: int, step: int, op=op, latencies=latencies):
                    for n in range(first, ops, step):
                        started = time.perf_counter()
                        await op(n)
                        latencies.append((time.perf_counter() - started) * 1000)

                started = time.perf_counter()
                await asyncio.gather(*(worker(w, workers) for w in range(workers)))
                seconds = time.perf_counter() - started
                results[f"{name} c={workers}"] = {"ops_s": ops / seconds, "median_ms": statistics.median(latencies),
                                                   "p95_ms": percentile(latencies, 0.95)}
            assert await redis.dbsize() == 0, "every pushed decision was popped"
    finally:
        await redis.flushdb()
        await client.aclose()
    return results


def run_redis_benchmark(binary: str, target: dict, db: int, ops: int, concurrency: int, size: int):
    """requests/s and latency of ZADD and ZPOPMIN from redis-benchmark (--csv), for 1 and N clients."""
    where = ["-s", target["socket"]] if "socket" in target else ["-h", target["host"], "-p", str(target["port"])]
    results = {}
    for clients in (1, concurrency):
        out = subprocess.run([binary, *where, "--dbnum", str(db), "-n", str(ops), "-c", str(clients),
                              "-d", str(size), "-t", "zadd,zpopmin", "--csv"],
                             check=True, capture_output=True, text=True).stdout
        for row in csv.DictReader(io.StringIO(out)):
            test = row["test"].split()[0].upper()
            name = {"ZADD": "push", "ZPOPMIN": "pop"}.get(test)
            if name:
                results[f"{name} c={clients}"] = {"ops_s": float(row["rps"]),
                                                  "median_ms": float(row.get("p50_latency_ms") or "nan"),
                                                  "p95_ms": float(row.get("p95_latency_ms") or "nan")}
    return results


def main(argv=None) -> int:
    from bench.report import add_write_argument, publish

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--db", type=int, default=15, help="Redis database to use (flushed before and after)")
    parser.add_argument("--redis-benchmark", default=shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark")
    add_write_argument(parser, "queue")
    args = parser.parse_args(argv)
    target = redis_target()
    ours = asyncio.run(run_client(target, args.db, args.ops, args.concurrency))
    import json

    member_size = len(json.dumps({**DECISION, "npc_id": 1, "_qid": "0" * 32}))
    theirs = run_redis_benchmark(args.redis_benchmark, target, args.db, args.ops, args.concurrency, member_size)
    lines = [
        f"Measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {args.ops:,} operations each, "
        f"the private Redis over its Unix socket, {os.cpu_count()} shared cores. Members are "
        f"{member_size}-byte JSON decisions (redis-benchmark: `-d {member_size}`).",
        "",
        f"Reproduce: `python bench/queue_bench.py --ops {args.ops} --concurrency {args.concurrency}`",
        "",
        "| operation | clients | RuntimeClient ops/s | median ms | p95 ms | redis-benchmark ops/s | median ms "
        "| p95 ms | client ÷ redis-benchmark |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, mine in ours.items():
        name, clients = key.split(" c=")
        base = theirs.get(key, {})
        label = {"push": "push: `queue_decision` vs `ZADD`",
                 "pop": "pop: `pop_next_decision` (Lua over 10 queues) vs `ZPOPMIN`"}[name]
        ratio = f"{mine['ops_s'] / base['ops_s']:.2f}" if base else ""
        lines.append(f"| {label} | {clients} | {mine['ops_s']:,.0f} | {mine['median_ms']:.3f} | {mine['p95_ms']:.3f} | "
                     f"{base.get('ops_s', float('nan')):,.0f} | {base.get('median_ms', float('nan')):.3f} | "
                     f"{base.get('p95_ms', float('nan')):.3f} | {ratio} |")
    body = "\n".join(lines) + "\n"
    publish(args.write, "queue", "Decision queue vs redis-benchmark", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
