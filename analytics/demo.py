"""Demo metrics for `manage.py seed_demo`: a few weeks of hourly samples, then the rollup.

Hourly samples (not the engine's minutes) keep the seed fast: 500 NPCs × 3 weeks is ~250k rows,
loaded by COPY in a few seconds. With one sample an hour the seed's `total_wood_produced` is
exactly wood produced, which the dashboards point out.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from analytics.services import metrics_delete, metrics_generate, metrics_hourly_refresh
from npcadmin import demo as demo_registry

DEMO_DAYS = 21
DEMO_INTERVAL = datetime.timedelta(hours=1)


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
    metrics_delete(npc_ids=None if reset else npc_ids)
    say(f"metrics: {days} days of hourly samples")
    _, rows, _ = metrics_generate(days=days, interval=DEMO_INTERVAL, npc_ids=npc_ids, rng_seed=rng_seed,
                                 refresh=False)
    result = metrics_hourly_refresh()
    say(f"metrics: {rows} samples; {result.describe()}")
    return rows
