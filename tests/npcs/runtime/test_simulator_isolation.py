"""`runtime_simulate` never touches the engine's data: it refuses a live Redis, marks what it makes, cleans only that.

The engine's data is written by the seed's own client (`seed` fixture) and by plain redis
commands, as the engine would; "untouched" is checked on a dump of every key, value and TTL class.
"""

from __future__ import annotations

import asyncio
import json
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.npcs.runtime.conftest import spec_client_module

pytestmark = pytest.mark.django_db

ENGINE_STATE = {"villages": 3, "population": 1250, "rank": 17, "offensive_power": 4200,
                "last_decision": "1764288000.5", "current_strategy": "military"}


def run(*args) -> str:
    out = StringIO()
    call_command("runtime_simulate", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def dump(redis_client) -> dict:
    """Every key with its value (sorted sets and hashes in full) and whether it expires."""
    result = {}
    for key in sorted(redis_client.scan_iter(count=1000)):
        kind = redis_client.type(key)
        value = {"string": redis_client.get, "hash": redis_client.hgetall,
                 "set": lambda k: sorted(redis_client.smembers(k)),
                 "zset": lambda k: redis_client.zrange(k, 0, -1, withscores=True)}[kind](key)
        result[key] = (kind, value, redis_client.ttl(key) > 0)
    return result


@pytest.fixture
def engine_data(redis_client):
    """What a running engine leaves in Redis (through the spec's own client): a state, queued decisions,
    a rate-limit window, an active mark and a metrics minute."""
    manager_class = spec_client_module().NPCCacheManager

    async def write():
        seed = manager_class(settings.NPCADMIN_RUNTIME_REDIS_URL)
        try:
            await seed.cache_npc_state(7, ENGINE_STATE)
            await seed.queue_decision(7, {"type": "building", "action": "upgrade_building", "building": "granary"},
                                      3)
            await seed.queue_decision(8, {"type": "military", "action": "defend_village"}, 1)
            await seed.check_llm_rate_limit(7)
        finally:
            await seed.redis.aclose()
    asyncio.run(write())
    redis_client.set("npc:active:7", "1764288000.25", ex=600)
    redis_client.hset("metrics:decisions:202611281030", mapping={"total": 5, "llm_used": 2, "rule_used": 3,
                                                                  "avg_latency": "120.5"})
    redis_client.expire("metrics:decisions:202611281030", 3600)
    return dump(redis_client)


def test_it_refuses_a_redis_that_holds_engine_keys(engine_data, redis_client):
    with pytest.raises(CommandError, match="--i-understand-this-is-live") as refused:
        run("--npcs", "3", "--seconds", "1")
    assert "npc:decisions" in str(refused.value)  # it says what it found
    assert dump(redis_client) == engine_data


def test_it_runs_on_an_empty_redis_and_marks_everything_it_makes(redis_client):
    summary = json.loads(run("--npcs", "4", "--seconds", "2", "--rate", "100", "--seed", "3",
                             "--json").splitlines()[-1])
    assert summary["queued"] > 0 and summary["executed"] > 0
    ids = {int(k.rsplit(":", 1)[1]) for k in redis_client.scan_iter("npc:active:*")}
    assert ids and all(i < 0 for i in ids)  # negative NPC ids: never a real NPC's
    for priority in range(1, 11):
        for member in redis_client.zrange(f"npc:decisions:{priority}", 0, -1):
            decision = json.loads(member)
            assert decision["npc_id"] < 0 and decision["simulated"] is True


def test_with_the_flag_it_leaves_the_engines_keys_and_decisions_alone(engine_data, redis_client):
    run("--npcs", "4", "--seconds", "2", "--rate", "100", "--seed", "4", "--i-understand-this-is-live")
    after = dump(redis_client)
    for key, (kind, value, expires) in engine_data.items():
        if key.startswith("npc:decisions:"):
            engine_members = {m for m, _ in value}
            assert engine_members <= {m for m, _ in after[key][1]}, key  # none of the engine's popped
        elif key.startswith("metrics:decisions:"):
            continue  # an old minute: the simulator writes the current one
        else:
            assert after[key] == (kind, value, expires), key
    assert after["npc:state:7"][1] == {k: str(v) for k, v in ENGINE_STATE.items()}
    assert redis_client.get("ratelimit:llm:7") == "1"


def test_clean_up_removes_what_it_made_and_nothing_else(engine_data, redis_client):
    run("--npcs", "4", "--seconds", "2", "--rate", "100", "--seed", "5", "--i-understand-this-is-live")
    assert dump(redis_client) != engine_data
    out = run("--clean-up")
    assert "removed" in out
    assert dump(redis_client) == engine_data


def test_clean_up_takes_back_its_share_of_a_shared_metrics_minute(redis_client):
    """The engine and the simulator counted in the same minute: the clean-up subtracts only its own."""
    run("--npcs", "3", "--seconds", "2", "--rate", "100", "--seed", "6")
    minutes = sorted(redis_client.scan_iter("metrics:decisions:*"))
    assert minutes
    key = minutes[-1]
    simulated = redis_client.hgetall(key)
    redis_client.hincrby(key, "total", 10)  # the engine's own decisions of that minute
    redis_client.hincrby(key, "rule_used", 10)
    run("--clean-up")
    left = redis_client.hgetall(key)
    assert int(left["total"]) == 10 and int(left["rule_used"]) == 10 and int(left["llm_used"]) == 0
    assert int(simulated["total"]) > 0
    for other in minutes[:-1]:  # minutes only the simulator counted are gone
        assert not redis_client.exists(other)


def test_clean_up_with_nothing_to_do_says_so(redis_client):
    assert "nothing" in run("--clean-up")
