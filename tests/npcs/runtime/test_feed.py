"""The process's one snapshot feed: computed once per tick for every page, one depth sample per second."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from django.conf import settings

from npcs.runtime import feed, keys, selectors
from npcs.runtime.client import RuntimeClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]


async def test_many_subscribers_share_one_snapshot_and_one_serialisation(runtime, monkeypatch):
    computed = 0
    real = selectors.runtime_snapshot

    async def counting(client, **kwargs):
        nonlocal computed
        computed += 1
        return await real(client, **kwargs)

    monkeypatch.setattr(selectors, "runtime_snapshot", counting)
    live = feed.SnapshotFeed(settings.NPCADMIN_RUNTIME_REDIS_URL)
    received: dict[int, list[str]] = {i: [] for i in range(200)}
    for i in range(200):
        async def send(text, i=i):
            received[i].append(text)
        live.subscribe(i, send)
    await runtime.queue_decision(1, {"a": 1}, priority=2)
    await asyncio.sleep(2.5)
    for i in range(200):
        await live.unsubscribe(i)
    frames = {len(texts) for texts in received.values()}
    assert min(frames) >= 2, frames
    assert all(texts[0] is received[0][0] for texts in received.values())  # the same str object: serialised once
    assert computed <= 4  # one per tick (three ticks in 2.5 s), not one per page
    assert live._task is None


async def test_a_slow_page_skips_frames_instead_of_holding_up_the_others(runtime):
    live = feed.SnapshotFeed(settings.NPCADMIN_RUNTIME_REDIS_URL)
    fast: list[float] = []
    stuck = asyncio.Event()

    async def slow_send(text):
        await stuck.wait()

    async def fast_send(text):
        fast.append(time.monotonic())

    live.subscribe("slow", slow_send)
    live.subscribe("fast", fast_send)
    for second in range(3):
        await runtime.queue_decision(1, {"n": second}, priority=3)  # every tick has news
        await asyncio.sleep(1.0)
    await live.unsubscribe("slow")
    await live.unsubscribe("fast")
    assert len(fast) >= 3 and live.frames_skipped >= 2
    gaps = [b - a for a, b in zip(fast, fast[1:], strict=False)]
    assert max(gaps) < 1.5, gaps


async def test_a_tick_records_one_queue_depth_sample_per_second_whatever_the_processes(runtime, redis_client):
    other = RuntimeClient.from_url(settings.NPCADMIN_RUNTIME_REDIS_URL)  # a second worker process
    try:
        now = time.time()
        await runtime.record_queue_depths(now, {1: 3, 2: 1})
        await other.record_queue_depths(now, {1: 3, 2: 1})
        await other.record_queue_depths(now + 1, {1: 4})
    finally:
        await other.aclose()
    history = await runtime.queue_depth_history()
    assert [depths[1] for _, depths in history] == [3, 4]
    assert 3590 < redis_client.ttl(keys.QUEUE_DEPTH_HISTORY) <= 3600


async def test_the_feed_samples_while_a_page_watches(runtime, redis_client):
    live = feed.SnapshotFeed(settings.NPCADMIN_RUNTIME_REDIS_URL)
    frames: list[str] = []

    async def send(text):
        frames.append(text)

    await runtime.queue_decision(1, {"a": 1}, priority=6)
    live.subscribe("page", send)
    await asyncio.sleep(2.2)
    await live.unsubscribe("page")
    history = await runtime.queue_depth_history()
    assert len(history) >= 2 and all(depths[6] == 1 for _, depths in history)
    assert json.loads(frames[0])["queues_by_priority"]["6"]["depth"] == 1
    assert "history" in json.loads(frames[0])["metrics"]
