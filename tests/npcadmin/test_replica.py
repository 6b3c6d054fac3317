"""Read replica routing, on one machine: a `replica` alias mirroring the test database.

Like Django's TEST MIRROR, the alias is a second connection to the same database, so a row
committed through `default` is readable through `replica`, and the captured queries show
which connection each statement used.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from npcadmin import routers
from npcs.models import NPC
from tests.factories.npcs import NPCFactory

ROUTERS = ["npcadmin.routers.ReplicaRouter", "npcadmin.routers.WorldRouter"]


@pytest.fixture(scope="module")
def replica_alias(django_db_setup):
    """A `replica` alias to the test global database, known before each test's allowed databases are fixed."""
    settings.DATABASES["replica"] = {**settings.DATABASES["default"], "TEST": {"MIRROR": "default"}}
    yield "replica"
    connections["replica"].close()
    del connections["replica"]
    del settings.DATABASES["replica"]


@pytest.fixture
def replica(replica_alias):
    """Both routers on, and a fresh (unpinned) request context."""
    token = routers.pin_to_primary(False)
    try:
        with override_settings(DATABASE_ROUTERS=ROUTERS):
            yield connections[replica_alias]
    finally:
        routers.unpin(token)


def queries(alias):
    return CaptureQueriesContext(connections[alias])


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_reads_go_to_the_replica_and_writes_to_the_primary(replica):
    NPCFactory(name="Stored")
    routers.pin_to_primary(False)  # a new request: the factory's write pinned this one
    with queries("default") as on_primary, queries("replica") as on_replica:
        assert NPC.objects.get(name="Stored").name == "Stored"
    assert len(on_replica) == 1 and len(on_primary) == 0
    with queries("default") as on_primary, queries("replica") as on_replica:
        NPC.objects.filter(name="Stored").update(notes="written")
    assert len(on_primary) == 1 and len(on_replica) == 0


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_after_a_write_the_same_request_reads_the_primary(replica):
    npc = NPCFactory(name="Fresh")
    with queries("replica") as on_replica:
        NPC.objects.get(pk=npc.pk)
    assert len(on_replica) == 0


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_reads_inside_a_transaction_stay_on_the_primary(replica):
    NPCFactory(name="InTx")
    routers.pin_to_primary(False)
    with transaction.atomic(), queries("replica") as on_replica:
        NPC.objects.select_for_update().get(name="InTx")
    assert len(on_replica) == 0


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_auth_and_sessions_always_read_the_primary(replica):
    from django.contrib.auth.models import User

    assert routers.ReplicaRouter().db_for_read(User) == "default"
    assert routers.ReplicaRouter().db_for_read(NPC) == "replica"


def test_world_models_are_left_to_the_world_router():
    class Meta:
        app_label = "worlds"

    model = type("FakeWorldModel", (), {"_meta": Meta})
    router = routers.ReplicaRouter()
    assert router.db_for_read(model) is None and router.db_for_write(model) is None
    assert router.allow_migrate("replica", "npcs") is False
    assert router.allow_migrate("default", "npcs") is None


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_post_pins_the_browser_to_the_primary_for_a_while(replica, client):
    from npcadmin.replica import PIN_COOKIE, ReplicaPinMiddleware

    seen = []

    def view(request):
        seen.append(routers.is_pinned_to_primary())
        from django.http import HttpResponse

        return HttpResponse()

    middleware = ReplicaPinMiddleware(view)
    from django.test import RequestFactory

    response = middleware(RequestFactory().post("/x"))
    assert response.cookies[PIN_COOKIE]["max-age"] == settings.NPCADMIN_REPLICA_PIN_SECONDS
    pinned = RequestFactory().get("/x")
    pinned.COOKIES[PIN_COOKIE] = "1"
    middleware(pinned)
    middleware(RequestFactory().get("/x"))
    assert seen == [True, True, False]


def _settings_in_subprocess(extra_env: dict) -> str:
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASE_ROUTERS, 'replica' in s.DATABASES, "
            "s.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'), "
            "'npcadmin.replica.ReplicaPinMiddleware' in s.MIDDLEWARE)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "npcadmin.settings.test", **extra_env}
    if "DATABASE_REPLICA_URL" not in extra_env:
        env.pop("DATABASE_REPLICA_URL", None)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                            cwd=settings.BASE_DIR)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_replica_is_configuration_only():
    without = _settings_in_subprocess({})
    assert without == "['npcadmin.routers.WorldRouter'] False None False"
    with_replica = _settings_in_subprocess({"DATABASE_REPLICA_URL": "postgres://reader@replica.internal:5432/npcadmin"})
    assert with_replica == ("['npcadmin.routers.ReplicaRouter', 'npcadmin.routers.WorldRouter'] True "
                            "default True")


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_healthcheck_reports_a_replica_that_is_not_a_standby(replica):
    from npcadmin import health

    (result,) = health.check_replica_lag()
    assert result.status == "warning" and "not a standby" in result.message
    assert "database:replica" in [c.name for c in health.all_checks()]
    assert health.check_database("replica").status == "ok"
