"""The benchmark scripts run end to end on a tiny scale (their numbers come from real runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from bench import changelist, generate_data
from bench.report import command_line, publish, write_section
from npcs.models import NPC, NPCDecision, NPCMemory

pytestmark = pytest.mark.django_db


def test_generator_copies_scaled_rows_into_monthly_partitions(capsys, tmp_path):
    report = tmp_path / "benchmarks.md"
    assert generate_data.main(["--scale", "0.0001", "--only", "decisions", "--only", "memory",
                               "--write", str(report)]) == 0
    assert "| npc_decisions | 1,000 |" in report.read_text()
    assert NPC.objects.filter(name__startswith="bench-npc-").count() == 500
    assert NPCDecision.objects.count() == 1000 and NPCMemory.objects.count() == 1000
    assert NPCMemory.objects.filter(expires_at__isnull=False).count() == 300
    assert "rows/s" in capsys.readouterr().out
    from npcs.partitions import existing_partitions

    assert len(existing_partitions()) >= 12


def test_changelist_timer_measures_the_stock_admin(tmp_path):
    generate_data.main(["--scale", "0.00001", "--only", "decisions"])
    user = get_user_model().objects.create_superuser("bench", password="x" * 12)
    with override_settings(ROOT_URLCONF="bench.urls"):
        client = Client()
        client.force_login(user)
        result = changelist.measure(client, "decisions", "/bench-stock-admin/npcs/npcdecision/?p=1",
                                    repeat=3, warmup=0, plan_ms=0)
    assert result.status == 200 and len(result.times_ms) == 3 and result.queries > 0
    assert "Execution Time" in result.plan
    target = tmp_path / "benchmarks.md"
    write_section(target, "changelist", "Admin changelists", changelist.markdown([result], repeat=3, command="x"))
    write_section(target, "changelist", "Admin changelists", changelist.markdown([result], repeat=3, command="y"))
    text = target.read_text()
    assert text.count("<!-- bench:changelist:begin -->") == 1 and "`y`" in text


def test_tuned_query_timer_runs_every_question(tmp_path):
    from bench import changelist_queries

    generate_data.main(["--scale", "0.00001", "--only", "decisions", "--only", "memory"])
    target = tmp_path / "benchmarks.md"
    assert changelist_queries.main(["--repeat", "1", "--write", str(target)]) == 0
    text = target.read_text()
    assert text.count("| npc_decisions ·") == 8 and text.count("| npc_memory ·") == 8


def test_queue_bench_compares_the_client_with_redis_benchmark(tmp_path):
    import shutil

    if not shutil.which("redis-benchmark") and not Path("/usr/bin/redis-benchmark").exists():
        pytest.skip("redis-benchmark is not installed")
    from bench import queue_bench

    target = tmp_path / "benchmarks.md"
    assert queue_bench.main(["--ops", "40", "--concurrency", "4", "--write", str(target)]) == 0
    text = target.read_text()
    assert text.count("| push: `queue_decision` vs `ZADD` |") == 2
    assert text.count("| pop: `pop_next_decision`") == 2


def test_dashboards_bench_times_every_dashboard_and_its_raw_baseline(tmp_path):
    from bench import dashboards_bench

    generate_data.main(["--scale", "0.0001"])  # 500 NPCs, 1k decisions/memories, ~8 minutes of metrics
    target = tmp_path / "benchmarks.md"
    assert dashboards_bench.main(["--repeat", "1", "--raw-repeat", "1", "--range", "24h",
                                  "--write", str(target)]) == 0
    text = target.read_text()
    assert text.count("| `/analytics/") == 7
    assert text.count("× |") == 4  # overview, overview of a world, npc, decisions: raw-table baseline ratios


def test_publish_prints_always_and_writes_only_with_a_path(capsys, tmp_path):
    target = tmp_path / "benchmarks.md"
    publish(None, "x", "X", "body one\n")
    assert "body one" in capsys.readouterr().out and not target.exists()
    publish(target, "x", "X", "body two\n")
    publish(target, "x", "X", "body three\n")
    text = target.read_text()
    assert "## X" in text and "body three" in text and "body two" not in text
    assert command_line("queue_bench.py", ["--ops", "5"]) == "python bench/queue_bench.py --ops 5"


def test_loadtest_think_time_is_exponential_capped_and_off_at_zero():
    import random
    import statistics

    from bench.loadtest import think_seconds

    rng = random.Random(16)
    pauses = [think_seconds(rng, 2.0) for _ in range(20_000)]
    assert max(pauses) <= 8.0 and min(pauses) >= 0
    assert statistics.fmean(pauses) == pytest.approx(2.0 * (1 - 2.718281828 ** -4), rel=0.05)  # capped at 4× mean
    assert sum(p > 2.0 for p in pauses) / len(pauses) == pytest.approx(2.718281828 ** -1, abs=0.02)
    assert think_seconds(rng, 0.0) == 0.0
