"""The same behaviour on both metrics backends, through the commands an operator runs.

Transactional (`transaction=True`): TimescaleDB's refresh_continuous_aggregate refuses to run in
a transaction block, so these tests commit like production does. Each runs on native storage and,
with DATABASE_URL pointing at a TimescaleDB server, on TimescaleDB (docs/analytics.md).
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import rollup, storage
from analytics.services import metrics_delete
from tests.analytics.helpers import fetch, run, write_csv
from tests.factories.npcs import NPCWorldStateFactory

pytestmark = pytest.mark.django_db(transaction=True)








def overview_population(client, npc_world="testworld") -> dict:
    response = client.get(reverse("analytics:dashboard", args=["overview"]) + f"?range=30d&world={npc_world}")
    assert response.status_code == 200
    chart = {c.id: c for c in response.context["charts"]}["population"]
    xs, ys = chart.figure["data"][0]["x"], chart.figure["data"][0]["y"]
    return dict(zip(xs, ys, strict=True))


def _hour(moment):
    return rollup.hour_floor(moment)


def test_backfill_ten_days_old_and_delete_show_on_the_dashboard(clean_metrics, analyst_client, tmp_path):
    state = NPCWorldStateFactory(world_id="testworld")
    now_hour = _hour(timezone.now())
    recent = now_hour - datetime.timedelta(hours=3)
    run("ingest_metrics", str(write_csv(tmp_path, "recent.csv", [(recent, state.npc_id, "testworld", 50, 1, 5)])))
    # Materialise everything up to now: a 10-day-old hour is then below the watermark (and outside
    # TimescaleDB's 3-day policy window), where only an explicit refresh puts it.
    run("refresh_metrics_hourly")
    before = overview_population(analyst_client)  # and cached
    assert len(before) == 1

    old = now_hour - datetime.timedelta(days=10)
    output = run("ingest_metrics", str(write_csv(tmp_path, "old.csv", [(old, state.npc_id, "testworld", 70, 2, 9)])))
    assert "refreshed" in output or "rolled up" in output
    after = overview_population(analyst_client)
    assert sorted(after.values()) == [50, 70]
    # The seed's relation, read by plain SQL, agrees (materialised part on TimescaleDB).
    assert fetch("SELECT hour, avg_population FROM npc_metrics_hourly WHERE npc_id = %s ORDER BY hour",
                 [state.npc_id]) == [(old, 70), (recent, 50)]

    metrics_delete(npc_ids=[state.npc_id])
    assert overview_population(analyst_client) == {}
    assert fetch("SELECT count(*) FROM npc_metrics_hourly") == [(0,)]
    assert fetch(f"SELECT count(*) FROM {storage.BY_WORLD}") == [(0,)]


def test_refresh_command_with_a_range_says_what_it_did(clean_metrics, backend, tmp_path):
    state = NPCWorldStateFactory(world_id="testworld")
    old = _hour(timezone.now()) - datetime.timedelta(days=12)
    fetch("INSERT INTO npc_metrics (time, npc_id, world_id, population) VALUES (%s, %s, 'testworld', 10)",
          [old, state.npc_id])
    output = run("refresh_metrics_hourly", "--since", (old - datetime.timedelta(days=1)).isoformat(),
                 "--until", (old + datetime.timedelta(hours=2)).isoformat())
    assert output.startswith(f"{backend}:")
    assert ("continuous aggregates" in output) == (backend == storage.TIMESCALEDB)
    assert fetch(f"SELECT hour, samples FROM {storage.BY_WORLD} WHERE npc_id = %s", [state.npc_id]) == [(old, 1)]


def test_spec_relation_shape_and_values_equal_the_seed_group_by(clean_metrics, backend):
    """npc_metrics_hourly is the seed's relation: its columns, types, one row per (hour, npc_id)."""
    now_hour = _hour(timezone.now())
    earlier = now_hour - datetime.timedelta(hours=5)
    rows = [
        (earlier, 1, "w1", 10, 3, 4), (earlier + datetime.timedelta(minutes=20), 1, "w2", 21, 4, 5),  # two worlds
        (earlier, 2, "w1", 7, 1, None),
        (now_hour + datetime.timedelta(minutes=1), 1, "w1", 8, 2, 6),  # the newest hour
    ]
    for r in rows:
        fetch("INSERT INTO npc_metrics (time, npc_id, world_id, population, rank, wood_production) "
              "VALUES (%s, %s, %s, %s, %s, %s)", list(r))
    if backend == storage.TIMESCALEDB:
        run("refresh_metrics_hourly")
    columns = fetch("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = 'npc_metrics_hourly'::regclass AND attnum > 0 AND NOT attisdropped "
                    "ORDER BY attnum")
    assert columns == [("hour", "timestamp with time zone"), ("npc_id", "integer"), ("avg_population", "numeric"),
                       ("avg_rank", "numeric"), ("total_wood_produced", "bigint")]
    seed = fetch(f"SELECT {storage.hour_bucket()} AS hour, npc_id, AVG(population), AVG(rank), "
                 "SUM(wood_production) FROM npc_metrics GROUP BY 1, 2 ORDER BY 1, 2")
    ours = fetch("SELECT * FROM npc_metrics_hourly ORDER BY hour, npc_id")
    assert ours == seed
    assert len(ours) == 3 and ours[-1][0] == now_hour  # two-world NPC in one row; the newest hour is there


def test_raw_baseline_answers_the_same_on_this_backend(clean_metrics):
    """The benchmark's baseline (a GROUP BY of raw samples) and the aggregates agree, per backend."""
    from analytics.filters import DashboardFilters, TimeRange
    from analytics.selectors import latest_standings, metric_series, raw_baseline

    states = [NPCWorldStateFactory(world_id="testworld") for _ in range(2)]
    now_hour = _hour(timezone.now())
    for h in range(30):
        for i, state in enumerate(states):
            fetch("INSERT INTO npc_metrics (time, npc_id, world_id, population, rank, wood_production) "
                  "VALUES (%s, %s, 'testworld', %s, %s, 3)",
                  [now_hour - datetime.timedelta(hours=h, minutes=10 * i), state.npc_id, 100 + h + i, i + 1])
    run("refresh_metrics_hourly")
    filters = DashboardFilters("custom", TimeRange(now_hour - datetime.timedelta(days=3),
                                                   now_hour + datetime.timedelta(minutes=59)), world_id="testworld")
    ours = metric_series(filters), latest_standings(filters)
    with raw_baseline():
        raw = metric_series(filters), latest_standings(filters)
    assert len(ours[0]) == 31 and len(ours[1]) == 2 and ours == raw
