#!/usr/bin/env python
"""The engine and the console writing the same rows: are engine increments ever lost?

    .venv/bin/python bench/two_writers.py [--seconds 60] [--rate 250] [--console-threads 3]
                                          [--write docs/benchmarks.md]

An engine thread (its own psycopg connections, plain autocommit UPDATEs, `--rate` a second)
increments a counter on one NPC, world state, relationship, alliance (global database) and
village config (world `demo`) in turn, and counts each increment it committed. Meanwhile
`--console-threads` game masters (Django test clients, logged in) open each row's console form
and save it with an edited field, again and again. At the end: engine increments committed vs
what the rows show (lost = the difference, must be 0), console 500s (must be 0), saves, refusals
and their explanations. Runs against the development databases (`manage.py migrate_all` first);
it creates its own rows and removes them.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import re
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from npcadmin.routers import world_db  # noqa: E402

# (form, table, pk column, engine counter, console field, console values)
ROWS = (
    ("npc", "npcs", "id", "total_decisions_made", "notes", None),
    ("world_state", "npc_world_state", "id", "total_wood", "strategic_goal", None),
    ("relationship", "npc_relationships", "id", "total_interactions", "relationship_type", ("enemy", "neutral")),
    ("alliance", "npc_alliances", "id", "total_members", "alliance_strategy", None),
    ("village_config", "npc_village_config", "village_id", "warehouse_reserve", "build_template_name", None),
)


def _dsn(alias: str) -> str:
    params = connections[alias].get_connection_params()
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in params.items() if isinstance(v, str | int)})


def _rows():
    """One row of each table, made by the test factories (consistent graphs), plus the world."""
    sys.path.insert(0, str(ROOT))
    from tests.factories.npcs import NPCAllianceFactory, NPCFactory, NPCRelationshipFactory, NPCWorldStateFactory
    from tests.factories.worlds import NPCVillageConfigFactory

    npc = NPCFactory(name=f"bench-two-writers-{os.getpid()}")
    return {"npc": npc, "world_state": NPCWorldStateFactory(npc=npc), "relationship": NPCRelationshipFactory(npc=npc),
            "alliance": NPCAllianceFactory(npc_leader=None),
            "village_config": NPCVillageConfigFactory(world="demo", npc_id=npc.pk)}


def _url(form, obj):
    if form == "village_config":
        return reverse("worlds:village_config", kwargs={"world_id": "demo", "village_id": obj.pk})
    return reverse(f"admin:npcs_npc{'' if form == 'npc' else form.replace('_', '')}_change", args=[obj.pk])


def _alias(form):
    return world_db("demo") if form == "village_config" else "default"


_ALIASES = {form: ("world" if form == "village_config" else "default") for form, *_ in ROWS}


def _value(table, pk_column, counter, pk, alias):
    with psycopg.connect(_dsn(alias), autocommit=True) as conn:
        return conn.execute(f"SELECT {counter} FROM {table} WHERE {pk_column} = %s", [pk]).fetchone()[0]


def engine(dsns: dict, pks: dict, rate: float, stop, result) -> None:
    """The engine, in a process of its own (no GIL shared with the console threads)."""
    conns = {alias: psycopg.connect(dsn, autocommit=True) for alias, dsn in dsns.items()}
    done = collections.Counter()
    interval, n, began = 1.0 / rate, 0, time.monotonic()
    while not stop.is_set():
        form, table, pk_column, counter, _, _ = ROWS[n % len(ROWS)]
        conns[_ALIASES[form]].execute(f"UPDATE {table} SET {counter} = {counter} + 1 WHERE {pk_column} = %s",
                                      [pks[form]])
        done[form] += 1
        n += 1
        delay = began + n * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    result.put(dict(done))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=250, help="engine UPDATEs a second (all tables)")
    parser.add_argument("--console-threads", type=int, default=3)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args(argv)
    from tests.npcs.two_writers import browser_post_data

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    rows = _rows()
    user = get_user_model().objects.create_superuser(f"bench-two-writers-{os.getpid()}", password="x" * 16)
    start = {form: _value(t, pk, c, rows[form].pk, _alias(form)) for form, t, pk, c, _, _ in ROWS}
    increments = collections.Counter()
    outcomes = collections.Counter()
    refusals = collections.Counter()
    stop = threading.Event()

    def console(worker: int):
        client = Client()
        client.force_login(user)
        n = 0
        while not stop.is_set():
            form, _, _, _, field, values = ROWS[n % len(ROWS)]
            url = _url(form, rows[form])
            data = browser_post_data(client.get(url).content.decode())
            data[field] = values[n % 2] if values else f"console {worker}-{n}"
            response = client.post(url, data)
            if response.status_code >= 500:
                outcomes["500"] += 1
            elif response.status_code == 302:
                outcomes["saved"] += 1
            else:
                html = response.content.decode()
                reason = ("engine held the row" if "The engine is holding this row" in html else
                          "changed meanwhile: " + ", ".join(re.findall(r"<li><b>([^<]+)</b>:", html))
                          if "NOT saved" in html else "other form error")
                refusals[(form, reason)] += 1
                outcomes["refused"] += 1
            n += 1
        for alias in connections:
            connections[alias].close()

    threads = [threading.Thread(target=console, args=(i,)) for i in range(args.console_threads)]
    engine_stop, engine_result = multiprocessing.Event(), multiprocessing.Queue()
    engine_process = multiprocessing.Process(target=engine, args=(
        {"default": _dsn("default"), "world": _dsn(world_db("demo"))}, {f: rows[f].pk for f in rows},
        args.rate, engine_stop, engine_result))
    began = time.monotonic()
    engine_process.start()
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    engine_stop.set()
    stop.set()
    increments.update(engine_result.get(timeout=30))
    engine_process.join(timeout=30)
    for thread in threads:
        thread.join(timeout=30)
    elapsed = time.monotonic() - began
    lost = {form: start[form] + increments[form] - _value(t, pk, c, rows[form].pk, _alias(form))
            for form, t, pk, c, _, _ in ROWS}

    lines = [f"Engine {sum(increments.values()):,} UPDATEs in {elapsed:.0f} s "
             f"({sum(increments.values()) / elapsed:.0f}/s); console {args.console_threads} threads: "
             f"{outcomes['saved']} saves, {outcomes['refused']} refused, {outcomes['500']} 500s.", "",
             "| row | engine increments | lost |", "|---|---:|---:|"]
    lines += [f"| {form} | {increments[form]:,} | {lost[form]} |" for form, *_ in ROWS]
    if refusals:
        lines += ["", "Refused saves and their explanation:", ""]
        lines += [f"- {form}: {reason} ×{count}" for (form, reason), count in sorted(refusals.items())]
    report = "\n".join(lines)
    print(report)
    if args.write:
        from bench.report import write_section

        write_section(args.write, "two_writers", "Two writers: engine increments vs console saves", report)
    # Clean up what this run made.
    village = rows["village_config"].village
    rows["village_config"].delete(using=_alias("village_config"))
    village.delete(using=_alias("village_config"))
    for form in ("relationship", "world_state", "alliance", "npc"):
        type(rows[form]).objects.filter(pk=rows[form].pk).delete()
    user.delete()
    return 0 if not any(lost.values()) and not outcomes["500"] else 1


if __name__ == "__main__":
    sys.exit(main())
