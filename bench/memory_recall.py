"""Benchmark memory recall on an NPC with 100k memories spread over 12 monthly partitions.

    .venv/bin/python bench/memory_recall.py [--memories 100000] [--noise 100000] [--runs 5] [--keep]

Loads one NPC's memories with COPY (uniform over the last 365 days, realistic text and event
data) plus `--noise` memories of 50 other NPCs in the same partitions, ANALYZEs, then times the
recall query (`npcs.mind.recall.memories_ranked`) with EXPLAIN ANALYZE for several windows,
with and without a (npc_id, occurred_at DESC) index, and lists the partitions each plan
scans. It also times the whole page (view + template). Runs against the development
database (DJANGO_SETTINGS_MODULE defaults to npcadmin.settings.local) and removes what it
created unless --keep. Results: docs/benchmarks.md, section "memory recall".
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from npcs import partitions  # noqa: E402
from npcs.choices import MemoryType  # noqa: E402
from npcs.mind import recall  # noqa: E402
from npcs.mind.recall import RecallQuery  # noqa: E402
from npcs.mind.views.recall import memory_recall  # noqa: E402
from npcs.models import NPC, NPCWorldState  # noqa: E402

PREFIX = "bench-recall-"
BENCH_INDEX = "bench_memory_npc_occurred"
COLUMNS = ("npc_id", "world_id", "memory_type", "event_data", "importance", "emotional_weight", "occurred_at",
           "game_day", "related_player_ids", "lesson_learned", "behavior_adjustment", "expires_at")
LESSONS = ["Night raids on {p} succeed when the rally point is empty", "Never attack {p} without scouting first",
           "{p} pays tribute after a show of force", "Trading wood with {p} is profitable at 1:1.2",
           "Defend the capital when {p} gathers catapults", "Alliances with {p} break within a week"]
WEIGHTS = ("aggression", "economy", "diplomacy", "risk_tolerance", "patience")


def memory_rows(rng: random.Random, npc_id: int, count: int, now: datetime.datetime):
    types = MemoryType.values
    for _ in range(count):
        player = rng.randint(1, 400)
        name = f"Player{player}"
        occurred = now - datetime.timedelta(seconds=rng.uniform(0, 365 * 86400))
        kind = rng.choice(types)
        data = {"opponent": name, "result": rng.choice(["victory", "defeat", "draw"]),
                "resources_gained": rng.randint(0, 20000), "village": f"{name}'s village {rng.randint(1, 9)}"}
        if kind == "battle":
            data["battle_id"] = rng.randint(10000, 99999)
            data["my_losses"] = {"legionnaire": rng.randint(0, 200)}
        lesson = rng.choice(LESSONS).format(p=name) if rng.random() < 0.2 else None
        adjustment = {rng.choice(WEIGHTS): round(rng.uniform(-0.1, 0.1), 2), "reason": "bench"} if lesson else None
        expires = occurred + datetime.timedelta(days=rng.randint(30, 400)) if rng.random() < 0.3 else None
        yield (npc_id, rng.choice(["testworld", "demo"]), kind, Jsonb(data), round(rng.random(), 3),
               round(rng.uniform(-1, 1), 3), occurred, int((occurred - now).days + 400), [player],
               lesson, Jsonb(adjustment) if adjustment else None, expires)


def copy_memories(rows) -> None:
    with connection.cursor() as cursor, cursor.cursor.copy(
        f"COPY npc_memory ({', '.join(COLUMNS)}) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)


def explain(query: RecallQuery, npc_id: int, as_of: datetime.datetime) -> tuple[float, list[str], str]:
    sql, params = recall.memories_ranked(npc_id=npc_id, query=query, as_of=as_of).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan)[1])
    scanned = sorted(set(re.findall(r" on (npc_memory_(?:\d{4}_\d{2}|default))\b", plan)))
    return ms, scanned, plan


def time_page(npc_id: int, params: dict, runs: int) -> float:
    user = get_user_model()(username="bench", is_staff=True, is_superuser=True, is_active=True)
    factory = RequestFactory()
    timings = []
    for _ in range(runs):
        request = factory.get(reverse("mind:memory_recall", args=[npc_id]), params)
        request.user = user
        start = time.perf_counter()
        response = memory_recall(request, npc_id=npc_id)
        response.render() if hasattr(response, "render") else None
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--noise", type=int, default=100_000, help="memories of 50 other NPCs")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the bench NPCs, memories and partitions")
    args = parser.parse_args()

    rng = random.Random(42)
    now = timezone.now()
    NPC.objects.filter(name__startswith=PREFIX).delete()
    with connection.cursor() as cursor:  # a run with --keep leaves it; start from the real indexes
        cursor.execute(f"DROP INDEX IF EXISTS {BENCH_INDEX}")
    this_month = partitions.month_start(now.date())
    months = [partitions.add_months(this_month, n) for n in range(-12, 2)]
    created_partitions = partitions.ensure_months(months)
    npc = NPC.objects.create(name=f"{PREFIX}target", tribe="Romans", personality="aggressive",
                             behavior_template={"aggression": 0.8})
    for world_id in ("testworld", "demo"):
        NPCWorldState.objects.create(npc=npc, world_id=world_id, player_id=900_000 + npc.pk)
    others = [NPC.objects.create(name=f"{PREFIX}{i:02d}", tribe="Gauls", personality="economic",
                                 behavior_template={"aggression": 0.2}) for i in range(50)]

    start = time.perf_counter()
    copy_memories(memory_rows(rng, npc.pk, args.memories, now))
    for other in others:
        copy_memories(memory_rows(rng, other.pk, args.noise // len(others), now))
    load_s = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE npc_memory")
        cursor.execute("SELECT count(*) FROM npc_memory WHERE npc_id = %s", [npc.pk])
        target_rows = cursor.fetchone()[0]
    print(f"loaded {target_rows} memories for NPC {npc.pk} + {args.noise} noise in {load_s:.1f} s "
          f"({len(created_partitions)} partitions created)")

    situation = "PlayerXYZ attacks my village at night with catapults"
    since90, until = recall.default_window(now)
    scenarios = {
        "90 days, situation (page default)": RecallQuery(since=since90, until=until, situation=situation),
        "90 days, no situation": RecallQuery(since=since90, until=until),
        "90 days, situation, type+player": RecallQuery(since=since90, until=until, situation=situation,
                                                       memory_type="battle", related_player_id=7),
        "30 days, situation": RecallQuery(since=until - datetime.timedelta(days=31), until=until,
                                          situation=situation),
        "365 days, situation": RecallQuery(since=until - datetime.timedelta(days=366), until=until,
                                           situation=situation),
    }
    results = {}
    for variant in ("existing indexes", "+ (npc_id, occurred_at DESC)"):
        if variant.startswith("+"):
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {BENCH_INDEX} ON npc_memory (npc_id, occurred_at DESC)")
                cursor.execute("ANALYZE npc_memory")
        for label, query in scenarios.items():
            explain(query, npc.pk, now)  # warm the cache
            timings, scanned = [], []
            for _ in range(args.runs):
                ms, scanned, plan = explain(query, npc.pk, now)
                timings.append(ms)
            rows_in_window = recall.memories_in_window(npc_id=npc.pk, query=query).count()
            results[(variant, label)] = (statistics.median(timings), min(timings), max(timings), scanned,
                                         rows_in_window)
            node = "Index Scan" if "Index Scan" in plan else "Bitmap Heap Scan" if "Bitmap" in plan else "Seq Scan"
            print(f"{variant:32} {label:36} median {statistics.median(timings):8.1f} ms  "
                  f"(min {min(timings):.1f}, max {max(timings):.1f})  rows {rows_in_window:6}  "
                  f"{len(scanned)} partitions ({scanned[0]}..{scanned[-1]})  {node}")
        if variant == "existing indexes":
            print("\nplan, 90 days with situation, existing indexes:\n")
            print(explain(scenarios["90 days, situation (page default)"], npc.pk, now)[2])
            print()
    print("\nplan, 90 days with situation, with the composite index:\n")
    print(explain(scenarios["90 days, situation (page default)"], npc.pk, now)[2])
    page_ms = time_page(npc.pk, {"situation": situation}, args.runs)
    print(f"\nwhole page (view + template, 50 rows, lessons, expiring): median {page_ms:.1f} ms")

    if not args.keep:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {BENCH_INDEX}")
        NPC.objects.filter(name__startswith=PREFIX).delete()
        partitions.drop_partitions([p for p in partitions.existing_partitions()
                                    if p.name in set(created_partitions)])
        print("bench data removed")


if __name__ == "__main__":
    main()
