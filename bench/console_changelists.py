"""Measure the console's changelists over big tables (default: 1M memories, 1M decisions).

    .venv/bin/python bench/console_changelists.py [--rows 1000000] [--keep]

Fills the *development* database with SQL (generate_series, as the engine would write rows),
ANALYZEs, then times each changelist through Django's test client and counts its queries,
next to the `SELECT COUNT(*)` the stock admin paginator would have run. `--keep` leaves the
rows in place; otherwise they are deleted at the end.
"""

from __future__ import annotations

import argparse
import os
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
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

BENCH_PREFIX = "bench-console-"


def fill(rows: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO npcs (name, tribe, personality, behavior_template)
               SELECT %s || g, (ARRAY['Romans','Gauls','Teutons'])[1 + g %% 3],
                      (ARRAY['aggressive','economic','balanced','diplomat','assassin'])[1 + g %% 5],
                      '{"aggression": 0.5, "economy": 0.5}'::jsonb
               FROM generate_series(1, 200) g ON CONFLICT DO NOTHING""",
            [BENCH_PREFIX],
        )
        cursor.execute("SELECT id FROM npcs WHERE name LIKE %s ORDER BY id", [BENCH_PREFIX + "%"])
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            """INSERT INTO npc_memory (npc_id, world_id, memory_type, event_data, importance, occurred_at)
               SELECT (%s::int[])[1 + g %% %s], 'testworld', 'battle',
                      jsonb_build_object('battle_id', g, 'result', 'victory'), (g %% 100) / 100.0,
                      now() - make_interval(secs => g * 5)
               FROM generate_series(1, %s) g""",
            [ids, len(ids), rows],
        )
        cursor.execute(
            """INSERT INTO npc_decisions (npc_id, world_id, decision_type, situation_summary, used_llm,
                                          final_decision, created_at)
               SELECT (%s::int[])[1 + g %% %s], 'testworld', 'economic', 'bench', g %% 4 = 0,
                      '{"action": "build"}'::jsonb, now() - make_interval(secs => g * 5)
               FROM generate_series(1, %s) g""",
            [ids, len(ids), rows],
        )
        cursor.execute("ANALYZE npc_memory; ANALYZE npc_decisions; ANALYZE npcs")
    return ids


def clean(ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM npcs WHERE id = ANY(%s)", [ids])  # ON DELETE CASCADE removes the logs


def timed(client: Client, url: str, repeat: int = 7):
    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, HTTP_HOST="localhost")
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured.captured_queries)
        counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
        assert not counts, counts
    return statistics.median(times), queries


def count_ms(table: str) -> float:
    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (fixed table names)
        cursor.fetchone()
        return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    ids = fill(args.rows)
    print(f"filled {args.rows:,} memories + {args.rows:,} decisions in {time.perf_counter() - start:.1f}s")
    user, _ = get_user_model().objects.get_or_create(username="bench-console", defaults={"is_superuser": True,
                                                                                          "is_staff": True})
    client = Client()
    client.force_login(user)
    npc = ids[0]
    pages = [
        ("memories", "/admin/npcs/npcmemory/"),
        ("memories, page 200", "/admin/npcs/npcmemory/?p=200"),
        ("memories of one NPC", f"/admin/npcs/npcmemory/?npc={npc}"),
        ("memories, world + last 24h", "/admin/npcs/npcmemory/?world=testworld&occurred_at__gte=2026-11-27"),
        ("decisions", "/admin/npcs/npcdecision/"),
        ("decisions used LLM", "/admin/npcs/npcdecision/?used_llm__exact=1"),
        ("NPCs", "/admin/npcs/npc/"),
        ("NPC page", f"/admin/npcs/npc/{npc}/overview/"),
    ]
    print(f"{'page':32} {'median ms':>10} {'queries':>8}")
    for label, url in pages:
        ms, queries = timed(client, url)
        print(f"{label:32} {ms:10.1f} {queries:8}")
    print(f"baseline: SELECT COUNT(*) FROM npc_memory    {count_ms('npc_memory'):8.1f} ms (stock paginator, per page)")
    print(f"baseline: SELECT COUNT(*) FROM npc_decisions {count_ms('npc_decisions'):8.1f} ms")
    if not args.keep:
        clean(ids)
        user.delete()


if __name__ == "__main__":
    main()
