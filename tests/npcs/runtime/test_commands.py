"""The runtime_* ops commands, through call_command, against the real Redis."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from npcs.runtime.sync import SyncRuntime
from tests.factories.npcs import NPCFactory, NPCWorldStateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rt(redis_client):
    return SyncRuntime()


def run(*args, **kwargs) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def test_queues_inspect_shows_depths_and_next_decisions(rt):
    rt.queue_decision(5, {"action": "build"}, priority=2)
    output = run("runtime_queues")
    assert "npc 5:" in output and "1 decisions queued." in output


def test_queues_drain_writes_what_it_took_and_dry_run_takes_nothing(rt, tmp_path):
    for n in range(3):
        rt.queue_decision(n, {"n": n}, priority=4)
    rt.queue_decision(9, {"keep": True}, priority=6)
    assert "would have: drained 3 decisions" in run("runtime_queues", "drain", "--priority", "4", "--dry-run")
    assert rt.queue_depths([4])[0].depth == 3
    target = tmp_path / "drained.jsonl"
    output = run("runtime_queues", "drain", "--priority", "4", "--output", str(target), "--no-input")
    assert "Drained 3 decisions" in output
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["decision"]["n"] for line in lines] == [0, 1, 2] and lines[0]["priority"] == 4
    assert [d.depth for d in rt.queue_depths([4, 6])] == [0, 1]
    with pytest.raises(CommandError):
        run("runtime_queues", "drain")


def test_drain_asks_and_a_no_keeps_everything(rt, monkeypatch):
    rt.queue_decision(1, {"n": 1}, priority=4)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert "Cancelled" in run("runtime_queues", "drain", "--all")
    assert rt.queue_depths([4])[0].depth == 1


def test_flush_llm_cache(rt, redis_client):
    for n in range(5):
        rt.cache_llm_response(f"h{n}", "{}")
    assert "would have: deleted 5" in run("runtime_flush_llm_cache", "--dry-run")
    assert "Deleted 5 cached LLM responses." in run("runtime_flush_llm_cache", "--no-input")
    assert not redis_client.keys("llm:*")


def test_forget_npc(rt, redis_client):
    rt.touch_active(12)
    rt.queue_decision(12, {"a": 1}, priority=3)
    assert "decisions 1" in run("runtime_forget_npc", "12", "--dry-run")
    assert redis_client.exists("npc:active:12")
    assert "Removed for NPC 12: state 0, active 1, ratelimit 0, decisions 1." in run(
        "runtime_forget_npc", "12", "--no-input")
    assert redis_client.dbsize() == 0


def test_reset_ratelimit(rt, redis_client):
    for npc_id, calls in ((1, 10), (2, 3)):
        for _ in range(calls):
            rt.check_llm_rate_limit(npc_id)
    assert "would have: reset 1 rate-limit windows [1]" in run("runtime_reset_ratelimit", "--at-limit", "10",
                                                               "--dry-run")
    assert "Reset 1 rate-limit windows." in run("runtime_reset_ratelimit", "2")
    assert redis_client.keys("ratelimit:*") == ["ratelimit:llm:1"]
    assert "Reset 1 rate-limit windows." in run("runtime_reset_ratelimit", "--all", "--no-input")
    with pytest.raises(CommandError):
        run("runtime_reset_ratelimit")


def test_warm_state_from_the_database(rt, redis_client):
    state = NPCWorldStateFactory(rank=4, village_count=2, total_population=900, offensive_power=50,
                                 current_strategy="expansion")
    NPCWorldStateFactory(npc__paused=True)
    assert "would have: cached the state of 1 NPCs." in run("runtime_warm_state", "--dry-run")
    assert not redis_client.keys("npc:state:*")
    assert "Cached the state of 1 NPCs (TTL 300 s)." in run("runtime_warm_state")
    assert redis_client.hgetall(f"npc:state:{state.npc_id}") == {
        "villages": "2", "population": "900", "rank": "4", "offensive_power": "50", "current_strategy": "expansion"}
    assert 295 < redis_client.ttl(f"npc:state:{state.npc_id}") <= 300


def test_warm_state_takes_the_most_recently_updated_world(rt, redis_client):
    from django.utils import timezone

    npc = NPCFactory()
    NPCWorldStateFactory(npc=npc, world_id="testworld", rank=50, state_updated_at=timezone.now())
    NPCWorldStateFactory(npc=npc, world_id="demo", rank=3, state_updated_at=timezone.now() - timezone.timedelta(days=1))
    run("runtime_warm_state")
    assert redis_client.hget(f"npc:state:{npc.id}", "rank") == "50"
    redis_client.flushdb()
    run("runtime_warm_state", "--world", "demo")
    assert redis_client.hget(f"npc:state:{npc.id}", "rank") == "3"


@pytest.mark.faults
def test_commands_report_redis_down_clearly():
    with override_settings(NPCADMIN_RUNTIME_REDIS_URL="unix:///nonexistent/npcadmin.sock"), \
            pytest.raises(CommandError, match="Redis unavailable"):
        run("runtime_queues")


def test_simulator_fills_every_key_pattern_within_its_bounds(redis_client):
    NPCFactory.create_batch(3)
    summary = json.loads(run("runtime_simulate", "--npcs", "5", "--seconds", "3", "--max-decisions", "40",
                             "--rate", "200", "--seed", "1", "--json").splitlines()[-1])
    assert 0 < summary["queued"] <= 41 and summary["seconds"] < 3.5
    assert summary["executed"] > 0 and summary["operations"] > summary["queued"]
    kinds = {key.split(":")[0] + ":" + key.split(":")[1] for key in redis_client.keys("*")}
    assert {"npc:active", "npc:state", "metrics:decisions"} <= kinds
    assert redis_client.keys("npc:active:*")


def test_simulator_refuses_unbounded_runs():
    with pytest.raises(CommandError):
        run("runtime_simulate", "--seconds", "0")
