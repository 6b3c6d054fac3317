"""RuntimeClient: the seed's key formats and TTLs, and one test per fixed seed bug (README item 7)."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json

import pytest

from npcs.runtime import keys
from tests.npcs.runtime.conftest import FULL_STATE


async def test_every_key_has_the_seeds_name_type_and_ttl(runtime, redis_client):
    await runtime.cache_npc_state(7, FULL_STATE)
    await runtime.touch_active(7)
    await runtime.check_llm_rate_limit(7)
    await runtime.cache_llm_response("abc123", {"action": "attack"})
    await runtime.record_decision(used_llm=True, latency_ms=120)
    await runtime.queue_decision(7, {"action": "build"}, priority=4)

    minute = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M")
    expected = {
        "npc:state:7": ("hash", 300),
        "npc:active:7": ("string", 600),
        "ratelimit:llm:7": ("string", 60),
        "llm:response:abc123": ("string", 3600),
        f"metrics:decisions:{minute}": ("hash", 3600),
        "npc:decisions:4": ("zset", -1),
    }
    assert set(redis_client.keys("*")) == set(expected)
    for key, (kind, ttl) in expected.items():
        assert redis_client.type(key) == kind, key
        assert (redis_client.ttl(key) == -1) if ttl == -1 else (ttl - 5 < redis_client.ttl(key) <= ttl), key
    assert float(redis_client.get("npc:active:7")) == pytest.approx(dt.datetime.now(dt.UTC).timestamp(), abs=5)
    assert redis_client.get("ratelimit:llm:7") == "1"
    assert json.loads(redis_client.get("llm:response:abc123")) == {"action": "attack"}
    assert redis_client.hgetall(f"metrics:decisions:{minute}") == {
        "total": "1", "llm_used": "1", "rule_used": "0", "avg_latency": "120.00"}


async def test_metrics_keep_a_running_average_and_both_counters(runtime, redis_client):
    at = dt.datetime(2026, 11, 28, 10, 30, 15, tzinfo=dt.UTC)
    for used_llm, latency in ((True, 100), (False, 10), (False, 40)):
        await runtime.record_decision(used_llm=used_llm, latency_ms=latency, at=at)
    assert redis_client.hgetall("metrics:decisions:202611281030") == {
        "total": "3", "llm_used": "1", "rule_used": "2", "avg_latency": "50.00"}
    series = await runtime.decisions_per_minute(3, now=at + dt.timedelta(minutes=1))
    assert [m.total for m in series] == [0, 3, 0]
    assert series[1].minute == at.replace(second=0) and series[1].avg_latency == 50.0


# --- Bug 1: INCR then EXPIRE is not atomic -----------------------------------------------
async def test_rate_limit_counter_always_has_a_ttl_even_after_the_seeds_crash(runtime, seed, redis_client):
    # The seed's INCR succeeded and the process died before its EXPIRE: a counter with no TTL
    # that the seed itself would never expire (the NPC blocked for ever).
    await seed.redis.incr("ratelimit:llm:9")
    assert redis_client.ttl("ratelimit:llm:9") == -1
    assert await runtime.check_llm_rate_limit(9) is True
    assert 55 < redis_client.ttl("ratelimit:llm:9") <= 60
    assert redis_client.get("ratelimit:llm:9") == "2"


async def test_rate_limit_under_concurrency_counts_every_call_and_keeps_the_ttl(runtime, redis_client):
    results = await asyncio.gather(*(runtime.check_llm_rate_limit(3, max_per_minute=10) for _ in range(25)))
    assert results.count(True) == 10 and results.count(False) == 15
    assert redis_client.get("ratelimit:llm:3") == "25"
    assert 55 < redis_client.ttl("ratelimit:llm:3") <= 60


async def test_rate_limit_script_is_one_atomic_step():
    from npcs.runtime.client import RATE_LIMIT_LUA

    # INCR and EXPIRE live in the same server-side script: nothing can run between them.
    assert RATE_LIMIT_LUA.index("INCR") < RATE_LIMIT_LUA.index("EXPIRE")


# --- Bug 2: identical decisions collapse into one member ---------------------------------
async def test_identical_decisions_queued_twice_stay_two(runtime, seed, redis_client):
    decision = {"action": "train", "unit": "legionnaire", "count": 20}
    await runtime.queue_decision(5, decision)
    await runtime.queue_decision(5, decision)
    assert redis_client.zcard("npc:decisions:5") == 2
    first, second = await runtime.pop_next_decision(5), await runtime.pop_next_decision(5)
    assert first == second == {**decision, "npc_id": 5}
    assert await runtime.pop_next_decision(5) is None


async def test_the_seed_collapses_identical_decisions(seed, redis_client):
    """The bug itself, shown with the seed's code (same second or not, same JSON = one member)."""
    await seed.queue_decision(5, {"action": "train"})
    await seed.queue_decision(5, {"action": "train"})
    assert redis_client.zcard("npc:decisions:5") == 1


# --- Bug 3: queue_decision mutates the caller's dict -------------------------------------
async def test_queue_decision_leaves_the_callers_dict_alone(runtime):
    decision = {"action": "build", "building": {"name": "barracks", "level": 3}}
    before = copy.deepcopy(decision)
    await runtime.queue_decision(12, decision, priority=2)
    assert decision == before


async def test_queue_decision_rejects_an_unknown_priority(runtime):
    with pytest.raises(ValueError):
        await runtime.queue_decision(1, {}, priority=0)
    with pytest.raises(ValueError):
        await runtime.queue_decision(1, {}, priority=True)


# --- Bug 4: pop sees only one priority ---------------------------------------------------
async def test_pop_takes_the_most_urgent_priority_first_and_the_oldest_within(runtime):
    await runtime.queue_decision(1, {"n": "low"}, priority=8)
    await runtime.queue_decision(2, {"n": "urgent-old"}, priority=2)
    await runtime.queue_decision(3, {"n": "urgent-new"}, priority=2)
    await runtime.queue_decision(4, {"n": "mid"}, priority=5)
    popped = [await runtime.pop_next() for _ in range(5)]
    assert [(p.priority, p.decision["n"]) for p in popped[:4]] == [
        (2, "urgent-old"), (2, "urgent-new"), (5, "mid"), (8, "low")]
    assert popped[4] is None


async def test_concurrent_pops_hand_out_each_decision_exactly_once(runtime):
    for n in range(30):
        await runtime.queue_decision(n, {"n": n}, priority=1 + n % 10)
    popped = await asyncio.gather(*(runtime.pop_next_decision() for _ in range(45)))
    taken = [d["n"] for d in popped if d is not None]
    assert sorted(taken) == list(range(30))


async def test_pop_with_a_priority_keeps_the_seeds_meaning(runtime):
    await runtime.queue_decision(1, {"n": 1}, priority=2)
    assert await runtime.pop_next_decision(5) is None
    assert await runtime.pop_next_decision(2) == {"n": 1, "npc_id": 1}


# --- Bug 5: cache_npc_state fails on missing values --------------------------------------
async def test_cache_npc_state_with_missing_and_none_values(runtime, redis_client):
    await runtime.cache_npc_state(4, FULL_STATE)
    await runtime.cache_npc_state(4, {"villages": 4, "population": 1300, "rank": None})
    assert redis_client.hgetall("npc:state:4") == {"villages": "4", "population": "1300"}
    assert 295 < redis_client.ttl("npc:state:4") <= 300


async def test_cache_npc_state_with_nothing_known_removes_the_entry(runtime, redis_client):
    await runtime.cache_npc_state(4, FULL_STATE)
    await runtime.cache_npc_state(4, {})
    assert not redis_client.exists("npc:state:4")


async def test_the_seed_fails_on_missing_state_values(seed):
    with pytest.raises(KeyError):
        await seed.cache_npc_state(4, {"villages": 4})


async def test_cache_npc_state_writes_datetimes_and_bools_as_plain_values(runtime, redis_client):
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    await runtime.cache_npc_state(4, {**FULL_STATE, "last_decision": moment})
    assert float(redis_client.hget("npc:state:4", "last_decision")) == moment.timestamp()


# --- Operations used by the runtime page and the commands --------------------------------
async def test_requeue_keeps_the_queue_time_and_drop_and_purge_count(runtime, redis_client):
    for n in range(3):
        await runtime.queue_decision(n, {"n": n}, priority=6)
    first, *_ = await runtime.peek(6, count=3)
    assert await runtime.requeue(first.member, from_priority=6, to_priority=1) is True
    assert redis_client.zscore("npc:decisions:1", first.member) == pytest.approx(first.queued_at.timestamp())
    assert await runtime.requeue(first.member, from_priority=6, to_priority=1) is False  # already moved
    second = (await runtime.peek(6, count=1))[0]
    assert await runtime.drop(second.member, priority=6) is True
    assert await runtime.drop(second.member, priority=6) is False
    assert await runtime.purge(6) == 1
    assert [d.depth for d in await runtime.queue_depths([1, 6])] == [1, 0]


async def test_purge_up_to_drops_only_what_the_operator_saw(runtime):
    await runtime.queue_decision(1, {"n": 1}, priority=3)
    seen = await runtime.newest_score(3)
    await asyncio.sleep(0.01)
    await runtime.queue_decision(2, {"n": 2}, priority=3)
    assert await runtime.purge(3, queued_up_to=seen) == 1
    assert (await runtime.peek(3))[0].decision["n"] == 2


async def test_peek_survives_a_member_that_is_not_json(runtime, redis_client):
    redis_client.zadd("npc:decisions:5", {"not json": 1.0})
    (item,) = await runtime.peek(5)
    assert item.decision == {"_unparsed": "not json"} and item.npc_id is None


async def test_forget_npc_removes_its_keys_and_only_its_decisions(runtime, redis_client):
    await runtime.cache_npc_state(8, FULL_STATE)
    await runtime.touch_active(8)
    await runtime.check_llm_rate_limit(8)
    await runtime.queue_decision(8, {"a": 1}, priority=2)
    await runtime.queue_decision(8, {"a": 2}, priority=9)
    await runtime.queue_decision(80, {"a": 3}, priority=2)
    assert await runtime.forget_npc(8, dry_run=True) == {"state": 1, "active": 1, "ratelimit": 1, "decisions": 2}
    assert redis_client.exists("npc:state:8")
    assert await runtime.forget_npc(8) == {"state": 1, "active": 1, "ratelimit": 1, "decisions": 2}
    assert not redis_client.exists("npc:state:8", "npc:active:8", "ratelimit:llm:8")
    assert [d.npc_id for d in await runtime.peek(2)] == [80]


async def test_llm_cache_stats_and_flush_use_scan(runtime, redis_client):
    for n in range(30):
        await runtime.cache_llm_response(f"h{n}", {"text": "x" * 100})
    redis_client.set("llm:response:forever", "{}")
    redis_client.set("npc:active:1", "1")
    stats = await runtime.llm_cache_stats(memory_sample=10)
    assert stats.entries == 31 and not stats.truncated
    assert stats.ttl_buckets["30–60 min"] == 30 and stats.ttl_buckets["no TTL"] == 1
    assert stats.memory_bytes > 31 * 100 and stats.memory_is_estimate
    assert await runtime.flush_llm_cache(dry_run=True) == 31
    assert await runtime.flush_llm_cache() == 31
    assert redis_client.keys("*") == ["npc:active:1"]


async def test_active_npcs_and_rate_limits_are_listed(runtime, redis_client):
    moment = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)
    await runtime.touch_active(1, at=moment)
    redis_client.set("npc:active:2", "2026-11-28T09:05:00")  # ISO written by another client
    for _ in range(9):
        await runtime.check_llm_rate_limit(5)
    await runtime.check_llm_rate_limit(6)
    assert await runtime.active_npcs() == {1: moment, 2: moment + dt.timedelta(minutes=5)}
    windows = await runtime.rate_limits()
    assert [(w.npc_id, w.count) for w in windows] == [(5, 9), (6, 1)]
    assert await runtime.reset_rate_limit(5) is True
    assert not redis_client.exists("ratelimit:llm:5")


def test_minute_ids_round_trip_and_accept_other_writers_formats():
    moment = dt.datetime(2026, 11, 28, 23, 59, 30, tzinfo=dt.UTC)
    assert keys.minute_id(moment) == "202611282359"
    assert keys.parse_minute("202611282359") == moment.replace(second=0)
    assert keys.parse_minute(str(int(moment.timestamp() // 60))) == moment.replace(second=0)
    assert keys.parse_minute("2026-11-28T23:59") == moment.replace(second=0)
    assert keys.llm_prompt_hash("hello") == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
