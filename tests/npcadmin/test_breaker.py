"""The per-database circuit breaker with a real world database made unreachable or hung."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connections

from npcadmin import breaker
from npcadmin.routers import world_db
from tests.worlds import outage

pytestmark = [pytest.mark.django_db(databases="__all__", transaction=True), pytest.mark.faults]


@pytest.fixture
def breaker_on(settings):
    settings.NPCADMIN_DB_BREAKER_RETRY_SECONDS = 1.0
    breaker.reset()
    yield settings
    breaker.reset()


def _timed_get(client, url):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def test_a_hung_world_costs_one_timeout_then_answers_at_once(admin_client, breaker_on):
    connection = connections[world_db("demo")]
    with outage.world_hung("demo"):
        connection.settings_dict["OPTIONS"] = {**connection.settings_dict["OPTIONS"], "connect_timeout": 2}
        first, first_s = _timed_get(admin_client, "/worlds/demo/")
        assert first.status_code == 503 and first_s >= 1.5  # the one request that found out
        assert breaker.state("world_demo") == breaker.OPEN
        for _ in range(5):
            again, again_s = _timed_get(admin_client, "/worlds/demo/")
            assert again.status_code == 503 and again_s < 0.5
            assert "tried again within" in again.content.decode()
        other, other_s = _timed_get(admin_client, "/worlds/testworld/")
        assert other.status_code == 200 and other_s < 1.0
        assert admin_client.get("/admin/").status_code == 200
        assert admin_client.get("/healthz").status_code == 200
    time.sleep(1.1)  # the database is back; the next request after the interval probes it
    back, _ = _timed_get(admin_client, "/worlds/demo/")
    assert back.status_code == 200 and breaker.state("world_demo") == breaker.CLOSED


def test_while_still_down_the_probe_reopens_the_circuit(admin_client, breaker_on):
    with outage.world_down("demo"):
        assert admin_client.get("/worlds/demo/").status_code == 503
        opened = breaker._circuits["world_demo"].opened_at
        time.sleep(1.1)
        assert admin_client.get("/worlds/demo/").status_code == 503  # the probe failed
        circuit = breaker._circuits["world_demo"]
        assert circuit.state == breaker.OPEN and circuit.opened_at > opened and circuit.failures == 2
    time.sleep(1.1)
    assert admin_client.get("/worlds/demo/").status_code == 200


def test_only_one_caller_probes_while_half_open(breaker_on, monkeypatch):
    """Callers arriving while the probe runs are answered "down" without touching the network."""
    breaker.record_failure("world_demo", OperationalError("connection refused"))
    breaker._circuits["world_demo"].opened_at -= 5
    probing = threading.Event()
    release = threading.Event()

    def slow_probe(alias):
        probing.set()
        release.wait(5)
        return None

    monkeypatch.setattr(breaker, "_probe", slow_probe)
    outcome = {}
    prober = threading.Thread(target=lambda: outcome.setdefault("probe", breaker._admit("world_demo")))
    prober.start()
    assert probing.wait(5)
    with pytest.raises(breaker.CircuitOpen):
        breaker._admit("world_demo")
    release.set()
    prober.join(5)
    assert breaker.state("world_demo") == breaker.CLOSED
    breaker._admit("world_demo")  # closed: passes


def test_query_errors_do_not_open_the_circuit(breaker_on):
    """A statement timeout is the query's fault, not the server's."""
    with connections["world_demo"].cursor() as cursor:
        cursor.execute("SET statement_timeout = 10")
        try:
            with pytest.raises(OperationalError) as caught, breaker.guard("world_demo"):
                cursor.execute("SELECT pg_sleep(1)")
        finally:
            cursor.execute("RESET statement_timeout")
    assert not breaker.is_connection_failure(caught.value)
    assert breaker.state("world_demo") == breaker.CLOSED


def test_breaker_off_with_zero_retry(settings):
    settings.NPCADMIN_DB_BREAKER_RETRY_SECONDS = 0
    breaker.reset()
    with outage.world_down("demo"):
        with pytest.raises(OperationalError), breaker.guard("world_demo"):
            connections["world_demo"].ensure_connection()
        assert breaker.state("world_demo") == breaker.CLOSED


def test_a_database_refusing_connections_opens_the_circuit(admin_client, breaker_on):
    """Its own error code (55000) is not a connection class: the failure counts because it
    happened while connecting."""
    assert admin_client.get("/worlds/demo/").status_code == 200
    with outage.world_refusing("demo"):
        response = admin_client.get("/worlds/demo/")
        assert response.status_code == 503 and breaker.state("world_demo") == breaker.OPEN
        assert admin_client.get("/worlds/testworld/").status_code == 200
    time.sleep(1.1)
    assert admin_client.get("/worlds/demo/").status_code == 200
