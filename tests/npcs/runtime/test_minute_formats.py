"""`metrics:decisions:{minute}` keys in every format docs/runtime.md names are found by SCAN and read;
a key that cannot be read is listed on /runtime/, not silently dropped."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from npcs.runtime import keys
from npcs.runtime.client import RuntimeClient

pytestmark = pytest.mark.django_db

def read_minutes(minutes: int, now: dt.datetime | None = None):
    async def read():
        client = RuntimeClient.from_url(settings.NPCADMIN_RUNTIME_REDIS_URL)
        try:
            return await client.decision_minutes(minutes, now=now)
        finally:
            await client.aclose()
    return asyncio.run(read())


NOW = dt.datetime(2026, 11, 28, 10, 30, 20, tzinfo=dt.UTC)


def _minute(back: int) -> dt.datetime:
    return (NOW - dt.timedelta(minutes=back)).replace(second=0)


FORMATS = {
    "YYYYMMDDHHMM": lambda m: m.strftime("%Y%m%d%H%M"),
    "epoch minutes": lambda m: str(int(m.timestamp()) // 60),
    "epoch seconds": lambda m: str(int(m.timestamp())),
    "ISO minute": lambda m: m.strftime("%Y-%m-%dT%H:%M"),
    "ISO minute with Z": lambda m: m.strftime("%Y-%m-%dT%H:%MZ"),
    "ISO with seconds and offset": lambda m: m.strftime("%Y-%m-%dT%H:%M:00+00:00"),
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_is_parsed_to_its_utc_minute(name):
    minute = _minute(3)
    assert keys.parse_minute(FORMATS[name](minute)) == minute


@pytest.mark.parametrize("bad", ["garbage", "2026-13-45T99:99", "", "12", "202613450000", "-5", "1.5e3", "99999999999"])
def test_unreadable_minutes_are_none(bad):
    assert keys.parse_minute(bad) is None


def test_every_format_is_read_and_the_same_minute_in_two_formats_adds_up(redis_client):
    for back, name in enumerate(sorted(FORMATS)):
        minute = _minute(back)
        redis_client.hset(f"metrics:decisions:{FORMATS[name](minute)}",
                          mapping={"total": back + 1, "llm_used": 1, "rule_used": back, "avg_latency": "100"})
    # the newest minute again, written by a second engine process in another format
    redis_client.hset(f"metrics:decisions:{FORMATS['epoch minutes'](_minute(0))}",
                      mapping={"total": 3, "llm_used": 0, "rule_used": 3, "avg_latency": "200"})
    read = read_minutes(15, NOW)
    by_minute = {m.minute: m for m in read.minutes}
    for back in range(len(FORMATS)):
        assert by_minute[_minute(back)].total == back + 1 + (3 if back == 0 else 0), back
    newest = by_minute[_minute(0)]
    assert newest.rule_used == 3 and newest.llm_used == 1
    assert newest.avg_latency == pytest.approx((1 * 100 + 3 * 200) / 4)  # weighted by each key's total
    assert read.unparsable == []
    assert sum(m.total for m in read.minutes) == sum(range(1, len(FORMATS) + 1)) + 3


def test_unparsable_keys_are_listed_by_the_client_and_on_the_page(redis_client, admin_client):
    redis_client.hset("metrics:decisions:garbage", mapping={"total": 4})
    redis_client.hset("metrics:decisions:2026-13-45T99:99", mapping={"total": 1})
    redis_client.hset(f"metrics:decisions:{keys.minute_id()}", mapping={"total": 2})
    read = read_minutes(15)
    assert read.unparsable == ["metrics:decisions:2026-13-45T99:99", "metrics:decisions:garbage"]
    assert read.minutes[-1].total == 2
    page = admin_client.get(reverse("runtime:overview")).content.decode()
    assert "metrics:decisions:garbage" in page and "metrics:decisions:2026-13-45T99:99" in page
    assert "cannot read" in page


def test_the_page_says_nothing_about_unreadable_keys_when_there_are_none(redis_client, admin_client):
    redis_client.hset(f"metrics:decisions:{keys.minute_id()}", mapping={"total": 2})
    assert "cannot read" not in admin_client.get(reverse("runtime:overview")).content.decode()
