"""Small helpers the analytics tests share: run a command, read SQL, write a metrics CSV."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db import connection


def run(*args, **kwargs) -> str:
    """A management command's standard output."""
    out = io.StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


def fetch(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall() if cursor.description else None


def write_csv(tmp_path, name, rows):
    """A CSV for `ingest_metrics` from (time, npc_id, world_id, population, rank, wood_production) rows."""
    path = tmp_path / name
    lines = ["time,npc_id,world_id,population,rank,wood_production"]
    lines += [f"{t.isoformat()},{npc},{world},{pop},{rank},{wood}" for t, npc, world, pop, rank, wood in rows]
    path.write_text("\n".join(lines) + "\n")
    return path
