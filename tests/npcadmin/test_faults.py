"""Faults: Redis gone or stopped mid-session, a world database gone, the global database's
connections killed under the running site: pages degrade or reconnect, never a 500, and recover."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import secrets
import subprocess
import sys

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import close_old_connections, connection
from django.test import override_settings

from npcadmin import health
from tests.npcs.runtime.conftest import ThrowawayRedis

pytestmark = [pytest.mark.django_db(databases="__all__"), pytest.mark.faults]

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down():
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = DEAD_REDIS
    layers = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [DEAD_REDIS]}}}
    with override_settings(CACHES=caches, CHANNEL_LAYERS=layers, REDIS_URL=DEAD_REDIS,
                           NPCADMIN_RUNTIME_REDIS_URL=DEAD_REDIS, NPCADMIN_HEALTH_CACHE_SECONDS=0):
        yield
    health._cached.clear()


def test_console_keeps_working_while_redis_is_down(client, redis_down):
    get_user_model().objects.create_superuser("gm", password="right-password-123")
    # Logging in (the throttle's counters are in Redis: it fails open) and browsing both work.
    assert client.post("/admin/login/", {"username": "gm", "password": "wrong"}).status_code == 200
    assert client.post("/admin/login/", {"username": "gm", "password": "right-password-123"}).status_code == 302
    assert client.get("/admin/").status_code == 200
    probe = client.get("/healthz")  # every instance shares this Redis: stay in rotation, say degraded
    assert probe.status_code == 200 and probe.json()["status"] == "degraded"
    assert client.get("/healthz?full=1").status_code == 503  # while monitoring alerts


def test_a_world_down_keeps_the_instance_in_the_load_balancer(client):
    config = settings.DATABASES["world_demo"]
    saved = {k: config.get(k) for k in ("HOST", "PORT")}
    config.update(HOST="127.0.0.1", PORT="1")
    health._cached.clear()
    try:
        with override_settings(NPCADMIN_HEALTH_CACHE_SECONDS=0, NPCADMIN_HEALTH_TOKEN="monitoring-token"):
            assert client.get("/healthz").status_code == 200  # the global DB and Redis serve
            full = client.get("/healthz?full=1", headers={"X-Health-Token": "monitoring-token"})
    finally:
        config.update(saved)
        health._cached.clear()
    assert full.status_code == 503
    assert {c["name"]: c["status"] for c in full.json()["checks"]}["database:world_demo"] == "error"


# --- The global database's connections killed while the site runs ------------------------------

def _terminate_other_backends() -> int:
    """What a PostgreSQL restart or an idle-connection killer does to the site's open connections."""
    params = connection.get_connection_params()
    params.pop("pool", None)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        return admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]


def _request(client, url):
    """As the real request handler does: close_old_connections at the request's start and end
    (the test client leaves them out so a test's transaction survives)."""
    close_old_connections()
    try:
        return client.get(url)
    finally:
        close_old_connections()


@contextlib.contextmanager
def _default_database(**changes):
    """The global database's settings changed for the block (e.g. the production pool)."""
    saved = copy.deepcopy(connection.settings_dict)
    connection.close()
    options = changes.pop("OPTIONS", {})
    connection.settings_dict.update(changes)
    connection.settings_dict["OPTIONS"] = {**connection.settings_dict["OPTIONS"], **options}
    try:
        yield
    finally:
        connection.close()
        if connection.pool is not None:
            connection.close_pool()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.fixture
def logged_in(client):
    client.force_login(get_user_model().objects.create_superuser("gm", password="right-password-123"))
    return client


PAGES = ("/admin/", "/admin/npcs/npc/", "/admin/npcs/npcmemory/", "/analytics/", "/healthz")


@pytest.mark.django_db(databases="__all__", transaction=True)
@pytest.mark.parametrize("how", ["production pool", "persistent connection"])
def test_killed_database_connections_are_replaced_without_an_error(logged_in, how):
    """CONN_HEALTH_CHECKS: the pool checks a connection before handing it out (production), a
    persistent connection is pinged at the start of the request; either way the dead one is
    replaced, the session (in the database) survives, and no request fails."""
    config = ({"CONN_MAX_AGE": 0, "OPTIONS": {"pool": {"min_size": 1, "max_size": 2, "timeout": 5}}}
              if how == "production pool" else {"CONN_MAX_AGE": 600})
    with _default_database(**config):
        for url in PAGES:
            assert _request(logged_in, url).status_code == 200, url
        assert _terminate_other_backends() >= 1  # the pooled / persistent connection is gone
        for url in PAGES:
            assert _request(logged_in, url).status_code == 200, url
        assert "gm" in _request(logged_in, "/admin/").content.decode()  # still logged in: nothing lost


# --- Redis stopped in the middle of a session, then started again --------------------------------

@pytest.fixture
def own_redis(tmp_path):
    """A Redis of our own for cache, channel layer, throttle and runtime, to stop and start."""
    server = ThrowawayRedis(tmp_path / "redis.sock").start()
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = server.url
    layers = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [server.url]}}}
    try:
        with override_settings(CACHES=caches, CHANNEL_LAYERS=layers, REDIS_URL=server.url,
                               NPCADMIN_RUNTIME_REDIS_URL=server.url, NPCADMIN_HEALTH_CACHE_SECONDS=0):
            yield server
    finally:
        server.stop()
        health._cached.clear()


CONSOLE_AND_DASHBOARDS = ("/admin/", "/admin/npcs/npc/", "/admin/npcs/npcdecision/", "/analytics/",
                          "/analytics/overview/", "/analytics/decisions/", "/runtime/", "/worlds/")


def test_redis_stopped_mid_session_then_started_again(logged_in, own_redis):
    for url in CONSOLE_AND_DASHBOARDS:
        assert logged_in.get(url).status_code == 200, url
    assert own_redis.client().dbsize() > 0  # the dashboards were cached there
    assert logged_in.get("/healthz").json()["status"] == "ok"

    own_redis.stop()
    for url in CONSOLE_AND_DASHBOARDS:
        response = logged_in.get(url)
        assert response.status_code == 200, url  # computed without the cache; the runtime page says why
    runtime_page = logged_in.get("/runtime/").content.decode()
    assert "Redis unavailable" in runtime_page or "unavailable" in runtime_page.lower()
    probe = logged_in.get("/healthz")
    assert probe.status_code == 200 and probe.json()["status"] == "degraded"

    own_redis.start()  # same socket: nothing to reconfigure, the clients reconnect by themselves
    cache.delete("nothing")  # (any command) the cache client's pool notices the restart
    for url in CONSOLE_AND_DASHBOARDS:
        assert logged_in.get(url).status_code == 200, url
    assert own_redis.client().dbsize() > 0  # caching again
    assert logged_in.get("/healthz").json()["status"] == "ok"


def test_production_pools_check_each_connection_before_handing_it_out():
    """What makes the test above hold in production: every database pooled, with health checks
    (Django then passes psycopg_pool's `check=ConnectionPool.check_connection`)."""
    code = ("import django, json; django.setup(); from django.db import connections; "
            "print(json.dumps({c.alias: [bool(c.settings_dict['CONN_HEALTH_CHECKS']), c.pool is not None and "
            "c.pool._check is not None] for c in connections.all()}))")
    from npcadmin.env import database_url, redis_url

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "npcadmin.settings.production",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DATABASE_URL": database_url(), "REDIS_URL": redis_url()}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                            cwd=settings.BASE_DIR, check=True)
    aliases = json.loads(result.stdout.strip().splitlines()[-1])
    assert aliases and all(checks == [True, True] for checks in aliases.values()), aliases
