"""ingest_metrics, generate_metrics, refresh_metrics_hourly and the demo seed."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError

from analytics import demo, rollup
from analytics.generator import MetricSubject, generate_rows
from analytics.storage import METRIC_COLUMNS
from tests.analytics.helpers import run
from tests.factories.npcs import NPCWorldStateFactory

pytestmark = pytest.mark.django_db

CSV = """time,npc_id,world_id,wood,population,wood_production,economic_efficiency
2026-11-02T10:00:00+00:00,1,demo,100,10,5,0.5
2026-11-02T10:30:00+00:00,1,demo,200,20,7,
2026-11-02T11:00:00+00:00,2,demo,300,30,9,0.25
2026-10-31T23:00:00+00:00,2,,400,40,,
"""




@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(CSV)
    return path


def test_ingest_loads_every_row_in_batches(csv_file, raw_sql, backend):
    output = run("ingest_metrics", str(csv_file), "--batch-rows", "3")
    assert "loaded 4 rows in 2 batches" in output
    rows = raw_sql("SELECT npc_id, world_id, wood, population, wood_production, economic_efficiency, clay "
                   "FROM npc_metrics ORDER BY npc_id, time")
    assert rows == [(1, "demo", 100, 10, 5, 0.5, None), (1, "demo", 200, 20, 7, None, None),
                    (2, None, 400, 40, None, None, None), (2, "demo", 300, 30, 9, 0.25, None)]
    # The hours it loaded are refreshed right away (TimescaleDB: see test_backends, outside a transaction).
    assert raw_sql("SELECT count(*) FROM npc_metrics_hourly") == [(3,)]
    if backend == "native":
        assert raw_sql("SELECT count(*) FROM npc_metrics_2026_10") == [(1,)]  # its month was created first
        assert "native: rolled up 3 hours" in output and rollup.dirty_hours() == []


def test_ingest_dry_run_loads_nothing(csv_file, raw_sql):
    assert "would load 4 rows" in run("ingest_metrics", str(csv_file), "--dry-run")
    assert raw_sql("SELECT count(*) FROM npc_metrics") == [(0,)]


def test_ingest_refuses_duplicates_unless_asked_to_skip_them(csv_file, raw_sql):
    run("ingest_metrics", str(csv_file))
    with pytest.raises(CommandError, match="batch starting at line 2 refused.*--skip-duplicates"):
        run("ingest_metrics", str(csv_file))
    assert "4 duplicates skipped" in run("ingest_metrics", str(csv_file), "--skip-duplicates")
    assert raw_sql("SELECT count(*) FROM npc_metrics") == [(4,)]


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty"),
    ("time,npc_id,gold\n", "unknown columns"),
    ("npc_id,wood\n1,2\n", "must name the column 'time'"),
    ("time,npc_id\n2026-11-02 10:00:00,1\n", "line 2: .* no time zone"),
    ("time,npc_id\nyesterday,1\n", "line 2: time 'yesterday' is not a timestamp"),
])
def test_ingest_explains_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        run("ingest_metrics", str(path))


def test_ingest_missing_file():
    with pytest.raises(CommandError, match="no such file"):
        run("ingest_metrics", "/nonexistent.csv")


def test_generated_trends_follow_personality():
    subjects = [MetricSubject(1, "demo", "aggressive"), MetricSubject(2, "demo", "economic")]
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    rows = list(generate_rows(subjects, start=start, end=start + datetime.timedelta(days=30),
                              interval=datetime.timedelta(hours=6), rng_seed=3))
    assert len(rows) == 2 * 120 and all(len(r) == len(METRIC_COLUMNS) for r in rows)
    index = {name: i for i, name in enumerate(METRIC_COLUMNS)}

    def growth(npc_id, column):
        mine = [r[index[column]] for r in rows if r[1] == npc_id]
        return mine[-1] / mine[0]

    assert growth(1, "offensive_power") > 2 * growth(2, "offensive_power")
    assert growth(2, "wood_production") > 1.5 * growth(1, "wood_production")
    assert {r[index["rank"]] for r in rows} == {1, 2}
    assert rows == list(generate_rows(subjects, start=start, end=start + datetime.timedelta(days=30),
                                      interval=datetime.timedelta(hours=6), rng_seed=3))


def test_generate_metrics_command_writes_and_rolls_up(raw_sql):
    NPCWorldStateFactory(world_id="demo")
    NPCWorldStateFactory(world_id="testworld")
    assert "would write 96 rows for 2 NPCs" in run("generate_metrics", "--days", "1", "--interval", "30",
                                                    "--dry-run")
    output = run("generate_metrics", "--days", "1", "--interval", "30", "--world", "demo")
    assert "wrote 48 rows for 1 NPCs" in output
    assert "native: rolled up 24 hours" in output or "timescaledb:" in output
    assert raw_sql("SELECT count(*), sum(samples) FROM npc_metrics_hourly_by_world") == [(24, 48)]


def test_generate_metrics_without_npcs_says_so():
    with pytest.raises(CommandError, match="no NPC"):
        run("generate_metrics", "--days", "1")


def test_refresh_command_reports_and_dry_runs(native_only, csv_file, raw_sql):
    run("ingest_metrics", str(csv_file))
    raw_sql("INSERT INTO npc_metrics (time, npc_id) VALUES ('2026-11-05 10:00+00', 1), ('2026-11-05 12:00+00', 1)")
    assert "would refresh 2 changed hours" in run("refresh_metrics_hourly", "--dry-run")
    assert "rolled up 2 hours (2 rows)" in run("refresh_metrics_hourly")
    assert "rolled up 0 hours" in run("refresh_metrics_hourly")


def test_demo_seed_is_idempotent_and_rolled_up(raw_sql):
    states = [NPCWorldStateFactory(world_id="demo") for _ in range(3)]
    messages = []
    rows = demo.seed_demo(npcs=[s.npc for s in states], reset=False, rng_seed=1, progress=messages.append, days=2)
    assert rows == 3 * (48 + 1) and messages  # hourly back from the current minute, both ends included
    again = demo.seed_demo(npcs=[s.npc for s in states], reset=False, rng_seed=1, progress=messages.append, days=2)
    assert again == 0 and "reused" in messages[-1]  # a second `make run` keeps recent samples
    newcomer = NPCWorldStateFactory(world_id="demo")  # one NPC without samples: regenerate them all
    assert demo.seed_demo(npcs=[s.npc for s in [*states, newcomer]], reset=False, rng_seed=1, days=2) == 4 * 49
    demo.seed_demo(npcs=[s.npc for s in states], reset=True, rng_seed=1, days=2)
    rows = 3 * 49
    assert raw_sql("SELECT count(*) FROM npc_metrics") == [(rows,)]
    assert raw_sql("SELECT sum(samples) FROM npc_metrics_hourly_by_world") == [(rows,)]
    assert rollup.dirty_hours() == []
    # One sample an hour: the seed's total_wood_produced is then exactly wood produced.
    assert raw_sql("SELECT bool_and(total_wood_produced = avg_wood_production) "
                   "FROM npc_metrics_hourly_by_world") == [(True,)]


def test_ingest_accepts_quoted_fields_and_crlf_line_ends(tmp_path, raw_sql):
    path = tmp_path / "windows.csv"
    path.write_bytes(b'npc_id,time,world_id\r\n5,"2026-11-02T10:00:00+00:00","demo"\r\n6,2026-11-02T10:00:00Z,demo\r\n')
    assert "loaded 2 rows" in run("ingest_metrics", str(path))
    assert raw_sql("SELECT npc_id, world_id FROM npc_metrics ORDER BY npc_id") == [(5, "demo"), (6, "demo")]


def test_demo_samples_reach_the_current_minute_and_world_states_carry_the_latest_rank(raw_sql):
    from django.utils import timezone

    from npcs.models import NPCWorldState

    states = [NPCWorldStateFactory(world_id="demo", total_population=p) for p in (100, 5000, 900_000)]
    others = [NPCWorldStateFactory(world_id="demo", total_population=p) for p in (10**7, 1)]  # no samples
    demo.seed_demo(npcs=[s.npc for s in states], rng_seed=3, days=1)
    (latest,), = raw_sql("SELECT max(time) FROM npc_metrics")
    assert timezone.now() - latest < datetime.timedelta(minutes=2)  # "last hour" has data
    ranks = dict(NPCWorldState.objects.filter(world_id="demo").values_list("npc_id", "rank"))
    sampled = dict(raw_sql("SELECT DISTINCT ON (npc_id) npc_id, rank FROM npc_metrics ORDER BY npc_id, time DESC"))
    assert sampled == {s.npc_id: ranks[s.npc_id] for s in states}  # metrics and world state agree
    assert ranks[others[0].npc_id] == 1 and ranks[others[1].npc_id] == 5  # the unsampled NPCs rank too
    assert sorted(ranks.values()) == [1, 2, 3, 4, 5]
