"""The seed's own NPCCacheManager (the engine's code) and RuntimeClient share one Redis."""

from __future__ import annotations

from tests.npcs.runtime.conftest import FULL_STATE


async def test_state_written_by_the_seed_is_read_by_us_and_back(runtime, seed):
    await seed.cache_npc_state(1, FULL_STATE)
    ours = await runtime.get_npc_state(1)
    assert ours == {k: str(v) for k, v in FULL_STATE.items()}
    assert 295 < await runtime.redis.ttl("npc:state:1") <= 300

    await runtime.cache_npc_state(2, FULL_STATE)
    assert await seed.get_npc_state(2) == await seed.get_npc_state(1)


async def test_decisions_queued_by_the_seed_are_popped_by_us(runtime, seed):
    await seed.queue_decision(11, {"action": "raid", "target": 4711}, priority=3)
    await seed.queue_decision(12, {"action": "build"})  # the seed's default priority 5
    first, second = await runtime.pop_next(), await runtime.pop_next()
    assert (first.priority, first.payload) == (3, {"action": "raid", "target": 4711, "npc_id": 11})
    assert (second.priority, second.payload) == (5, {"action": "build", "npc_id": 12})
    assert first.qid is None  # the seed's members have no _qid, and need none to be read


async def test_decisions_queued_by_us_are_popped_by_the_seed(runtime, seed):
    decision = {"action": "trade", "offer": {"wood": 500}}
    await runtime.queue_decision(21, decision, priority=5)
    await runtime.queue_decision(21, decision, priority=5)
    first, second = await seed.pop_next_decision(5), await seed.pop_next_decision(5)
    for popped in (first, second):
        assert {k: v for k, v in popped.items() if k != "_qid"} == {**decision, "npc_id": 21}
    assert first["_qid"] != second["_qid"]
    assert await seed.pop_next_decision(5) is None


async def test_one_rate_limit_window_shared_by_both_clients(runtime, seed):
    for _ in range(6):
        assert await seed.check_llm_rate_limit(31) is True
    for _ in range(4):
        assert await runtime.check_llm_rate_limit(31) is True
    assert await seed.check_llm_rate_limit(31) is False  # the 11th call, whoever makes it
    assert await runtime.check_llm_rate_limit(31) is False
    (window,) = await runtime.rate_limits()
    assert (window.npc_id, window.count) == (31, 12) and 0 < window.ttl <= 60


async def test_seed_written_keys_show_in_our_listings(runtime, seed, redis_client):
    await seed.check_llm_rate_limit(41)
    await seed.cache_npc_state(41, FULL_STATE)
    assert (await runtime.npc_states([41, 42]))[41]["rank"] == "17"
    assert [w.npc_id for w in await runtime.rate_limits()] == [41]
