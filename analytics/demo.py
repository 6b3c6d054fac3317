"""Demo metrics for `manage.py seed_demo`: a few weeks of hourly samples, then the rollup.

Hourly samples (not the engine's minutes) keep the seed fast: 500 NPCs × 3 weeks is ~250k rows,
loaded by COPY in a few seconds. With one sample an hour the seed's `total_wood_produced` is
exactly wood produced, which the dashboards point out.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from django.utils import timezone

from analytics.services import (
    metrics_delete,
    metrics_generate,
    metrics_hourly_refresh,
    world_states_from_latest_samples,
)
from npcadmin import demo as demo_registry

DEMO_DAYS = 21
DEMO_INTERVAL = datetime.timedelta(hours=1)
# Samples newer than this are reused by a plain re-run; older ones are regenerated so that every
# range ending now ("last hour") still has data.
REUSE_WITHIN = datetime.timedelta(minutes=50)


def _samples_are_recent(npc_ids: list[int] | None, using: str = "default") -> bool:
    """True when every one of these NPCs (or, with None, the table) has a sample newer than REUSE_WITHIN."""
    from django.db import connections

    since = timezone.now() - REUSE_WITHIN
    with connections[using].cursor() as cursor:
        if npc_ids is None:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM npc_metrics WHERE time >= %s)", [since])
            return cursor.fetchone()[0]
        if not npc_ids:
            return False
        cursor.execute("SELECT count(DISTINCT npc_id) FROM npc_metrics WHERE time >= %s AND npc_id = ANY(%s)",
                       [since, list(npc_ids)])
        return cursor.fetchone()[0] == len(set(npc_ids))


@demo_registry.register
def seed_demo(
    *,
    npcs: Iterable | int | None = None,
    reset: bool = False,
    rng_seed: int = 0,
    progress: Callable[[str], None] | None = None,
    days: int = DEMO_DAYS,
) -> int:
    """Write `days` of hourly metrics for the demo NPCs (idempotent: their old samples are replaced).

    `npcs`: NPC instances or ids, or None / a count for every NPC with a world state. Returns rows written.
    `reset` is accepted for the seed_demo interface; samples of the chosen NPCs are always replaced,
    and with `reset` every sample of every NPC is removed first.
    """
    say = progress or (lambda message: None)
    npc_ids = None
    if npcs is not None and not isinstance(npcs, int):
        npc_ids = [getattr(npc, "pk", npc) for npc in npcs]
    if not reset and _samples_are_recent(npc_ids):
        # A second `make run`: the samples of the first still reach (almost) now; regenerating
        # 252k rows took ~40 s for nothing.
        say(f"metrics: existing samples reused (every demo NPC has one less than {REUSE_WITHIN} old)")
        return 0
    metrics_delete(npc_ids=None if reset else npc_ids)
    say(f"metrics: {days} days of hourly samples")
    # Samples step back hourly from the current minute: "last hour" has data on a fresh demo.
    _, rows, _ = metrics_generate(days=days, interval=DEMO_INTERVAL, npc_ids=npc_ids, rng_seed=rng_seed,
                                 through_now=True, refresh=False)
    # The world state is the engine's latest snapshot: the same population and rank as the latest sample.
    world_states_from_latest_samples()
    result = metrics_hourly_refresh()
    say(f"metrics: {rows} samples; {result.describe()}")
    return rows
