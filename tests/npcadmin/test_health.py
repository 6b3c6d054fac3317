"""Health checks: every dependency reported, failures named, hung checks bounded, /healthz safe."""

from __future__ import annotations

import json
import time
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from npcadmin import health

pytestmark = pytest.mark.django_db(databases="__all__")

DEAD_REDIS = "redis://127.0.0.1:1/0"
DEAD_CHANNELS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                             "CONFIG": {"hosts": [DEAD_REDIS]}}}


def hung_check():
    time.sleep(3)
    return health.CheckResult("hung", health.OK, "never seen")


def broken_check():
    raise RuntimeError("boom")


@pytest.fixture(autouse=True)
def no_probe_cache():
    health._cached.clear()
    with override_settings(NPCADMIN_HEALTH_CACHE_SECONDS=0):
        yield
    health._cached.clear()


@pytest.fixture
def registered():
    """Register checks for one test, then take them out of the registry again."""
    names = []

    def add(func, name):
        health.register(func, name=name)
        names.append(name)

    yield add
    health._registered[:] = [c for c in health._registered if c.name not in names]


@pytest.fixture
def world_db_down():
    """Point world_demo at a port nobody listens on (new connections fail at once)."""
    config = settings.DATABASES["world_demo"]
    saved = {k: config.get(k) for k in ("HOST", "PORT")}
    config.update(HOST="127.0.0.1", PORT="1")
    yield
    config.update(saved)


def run_command(*args) -> tuple[str, CommandError | None]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("healthcheck", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def failing_policies() -> bool:
    """TimescaleDB whose background policy runs failed (e.g. 2.28 on PostgreSQL 15.20: `cannot drop
    portal "" while it is being set up`, upstream): health must report them, so they are expected."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('timescaledb_information.job_stats') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT count(*) FROM timescaledb_information.job_stats WHERE last_run_status = 'Failed'")
        return cursor.fetchone()[0] > 0


def error_lines(out: str) -> list[str]:
    """ERROR lines, without the TimescaleDB policy failures `failing_policies` expects."""
    lines = [line for line in out.splitlines() if line.startswith("ERROR")]
    if failing_policies():
        lines = [line for line in lines if "metrics_policies:" not in line]
    return lines


def test_everything_up_passes_and_names_every_database():
    out, error = run_command()
    assert error is None or (failing_policies() and not error_lines(out)), out
    for name in ("database:default", "database:world_testworld", "database:world_demo", "redis:cache",
                 "channels", "timescaledb", "memory_partitions", "metrics_hourly"):
        assert name in out


@pytest.mark.faults
def test_world_database_down_fails_with_one_line_naming_it(world_db_down):
    out, error = run_command()
    assert error is not None and error.returncode == 1
    assert "database:world_demo" in str(error)
    problem_lines = error_lines(out)
    assert len(problem_lines) == 1
    assert "database:world_demo" in problem_lines[0] and "unreachable" in problem_lines[0]
    assert any(line.startswith("OK") and "database:world_testworld" in line for line in out.splitlines())


@pytest.mark.faults
def test_redis_down_fails_redis_and_channel_layer():
    with override_settings(REDIS_URL=DEAD_REDIS, NPCADMIN_RUNTIME_REDIS_URL=DEAD_REDIS, CHANNEL_LAYERS=DEAD_CHANNELS):
        out, error = run_command("--json")
    assert error is not None
    report = json.loads(out)
    by_name = {c["name"]: c for c in report["checks"]}
    assert report["status"] == "error"
    assert by_name["redis:cache"]["status"] == "error"
    assert by_name["channels"]["status"] == "error"
    assert by_name["database:default"]["status"] == "ok"


def test_separate_runtime_redis_is_checked_on_its_own():
    with override_settings(NPCADMIN_RUNTIME_REDIS_URL=DEAD_REDIS):
        results = health.run_checks([c for c in health.all_checks() if c.name.startswith("redis")])
    assert [(r.name, r.status) for r in results] == [("redis:cache", "ok"), ("redis:runtime", "error")]


def test_a_hung_check_is_reported_as_timed_out_without_waiting_for_it(registered):
    registered(hung_check, "hung_check")
    started = time.monotonic()
    out, error = run_command("--timeout", "0.5", "--only", "hung", "--only", "database:default")
    elapsed = time.monotonic() - started
    assert elapsed < 2
    assert error is not None
    assert "hung_check: timed out after 0.5 s" in out


def test_a_hung_world_database_does_not_hide_the_other_worlds():
    def hang(alias, original=health.check_database):
        if alias == "world_demo":
            time.sleep(2)
        return original(alias)

    with mock.patch.object(health, "check_database", hang):
        results = {r.name: r for r in health.run_checks(
            [c for c in health.all_checks() if c.name.startswith("database:")], timeout=1)}
    assert results["database:world_demo"].message == "timed out after 1 s"
    assert results["database:world_testworld"].status == "ok"


def test_a_check_that_raises_is_an_error_not_a_crash(registered):
    registered(broken_check, "broken_check")
    results = health.run_checks([c for c in health.all_checks() if c.name == "broken_check"])
    assert results[0].status == "error" and "RuntimeError: boom" in results[0].message


def test_registered_checks_join_the_run(registered):
    registered(lambda: health.CheckResult("runtime:queue", health.WARNING, "deep"), "runtime:queue")
    assert "runtime:queue" in [c.name for c in health.all_checks()]


def test_each_app_registers_its_own_checks_from_its_health_module():
    """Discovered from `<app>/health.py`, once each, after the infrastructure's own checks."""
    names = [c.name for c in health.all_checks()]
    for name in ("memory_partitions", "redis:runtime", "timescaledb", "metrics_hourly"):
        assert names.count(name) == 1
        assert names.index("channels") < names.index(name)


def test_healthz_is_public_cheap_and_secret_free(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert {c["name"] for c in body["checks"]} == {"database:default", "redis:cache"}
    assert all("message" not in c for c in body["checks"])
    assert response["Cache-Control"].startswith("max-age=0")
    text = response.content.decode()
    assert settings.SECRET_KEY not in text and "postgres://" not in text


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("ops-health", password="x" * 12, is_staff=True))
    return client


def test_healthz_full_runs_every_check(staff_client):
    body = staff_client.get("/healthz?full=1").json()
    names = {c["name"] for c in body["checks"]}
    assert {"database:world_demo", "channels", "memory_partitions"} <= names


@pytest.mark.faults
def test_healthz_probe_is_degraded_not_down_when_redis_is_down(staff_client):
    with override_settings(REDIS_URL=DEAD_REDIS):
        response = staff_client.get("/healthz")
        full = staff_client.get("/healthz?full=1")
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert full.status_code == 503 and full.json()["status"] == "error"


@pytest.mark.faults
def test_healthz_probe_is_503_when_the_global_database_is_down(client):
    config = settings.DATABASES["default"]
    saved = {k: config.get(k) for k in ("HOST", "PORT")}
    config.update(HOST="127.0.0.1", PORT="1")  # new connections (the probe's worker thread) fail
    try:
        response = client.get("/healthz")
    finally:
        config.update(saved)
    assert response.status_code == 503 and response.json()["status"] == "error"


@pytest.mark.faults
def test_healthz_full_is_503_when_a_world_is_down_and_redacts(staff_client, world_db_down):
    response = staff_client.get("/healthz?full=1")
    assert response.status_code == 503
    world = next(c for c in response.json()["checks"] if c["name"] == "database:world_demo")
    assert world["status"] == "error"


@pytest.mark.parametrize("who", ["anonymous", "not-staff", "wrong-token"])
def test_healthz_full_is_refused_without_staff_or_the_token(client, django_user_model, who):
    headers = {}
    if who == "not-staff":
        client.force_login(django_user_model.objects.create_user("player", password="x" * 12))
    if who == "wrong-token":
        headers["X-Health-Token"] = "guess"
    with override_settings(NPCADMIN_HEALTH_TOKEN="s3cret-token"):
        response = client.get("/healthz?full=1", headers=headers)
    assert response.status_code == 403
    assert "checks" not in response.json()
    assert client.get("/healthz").status_code == 200  # the probe stays open


def test_healthz_full_with_no_token_configured_refuses_an_empty_header(client):
    with override_settings(NPCADMIN_HEALTH_TOKEN=""):
        assert client.get("/healthz?full=1", headers={"X-Health-Token": ""}).status_code == 403


@pytest.mark.faults
def test_healthz_full_by_token_hides_hosts_and_ports(client, staff_client):
    dead = "redis://127.0.0.1:6390/0"
    with override_settings(NPCADMIN_HEALTH_TOKEN="s3cret-token", REDIS_URL=dead):
        staff = staff_client.get("/healthz?full=1").content.decode()
        health._cached.clear()
        client.logout()
        response = client.get("/healthz?full=1", headers={"X-Health-Token": "s3cret-token"})
    assert "6390" in staff  # staff see where the failure is
    assert response.status_code == 503
    redis = next(c for c in response.json()["checks"] if c["name"] == "redis:cache")
    assert redis["status"] == "error" and redis["message"]
    text = response.content.decode()
    assert "127.0.0.1" not in text and "6390" not in text


@pytest.mark.parametrize("message", [
    "Error 111 connecting to 127.0.0.1:6390. Connection refused.",
    'connection to server at "db.internal" (10.1.2.3), port 5432 failed',
    'connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed',
    "Error connecting to cache.internal:6379",
    "Error 111 connecting to [::1]:6379.",
    "Error 2 connecting to unix socket: /srv/redis/redis.sock.",
])
def test_hide_addresses_removes_hosts_ports_and_paths(message):
    from npcadmin.views import hide_addresses

    hidden = hide_addresses(message)
    for leak in ("127.0.0.1", "6390", "db.internal", "10.1.2.3", "5432", "/run/", "cache.internal", "6379",
                 "::1", "/srv/"):
        assert leak not in hidden, hidden


def test_redact_strips_credentials():
    assert health.redact("redis://user:s3cret@host:6379/0 password=hunter2") == \
        "redis://***@host:6379/0 password=***"


def test_probe_results_are_reused_within_the_cache_window():
    with override_settings(NPCADMIN_HEALTH_CACHE_SECONDS=60):
        first = health.cached_run(full=False)
        assert health.cached_run(full=False) is first


def test_connection_unchanged_by_checks():
    health.run_checks()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_healthz_answers_head_and_refuses_post(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
