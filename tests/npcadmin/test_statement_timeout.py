"""Read requests run under a statement timeout; writes and commands do not (npcadmin/statement_timeout.py)."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory

from npcadmin.statement_timeout import StatementTimeoutMiddleware

pytestmark = pytest.mark.django_db(transaction=True)


def _sleeping_view(seconds: float):
    def view(request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(%s)", [seconds])
        return HttpResponse("slept")

    return view


def _run(method: str, view):
    """The middleware as Django's handler drives it: process_exception for what the view raised."""
    middleware = StatementTimeoutMiddleware(lambda request: _respond(middleware, request, view))
    return middleware(getattr(RequestFactory(), method)("/somewhere/"))


def _respond(middleware, request, view):
    try:
        return view(request)
    except Exception as exc:
        response = middleware.process_exception(request, exc)
        if response is None:
            raise
        return response


def _timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def test_a_slow_read_is_stopped_with_a_503(settings):
    settings.NPCADMIN_STATEMENT_TIMEOUT_MS = 100
    started = time.monotonic()
    response = _run("get", _sleeping_view(3))
    assert response.status_code == 503 and b"Narrow the filters" in response.content
    assert time.monotonic() - started < 2


def test_a_quick_read_passes_and_the_connection_gets_its_timeout_back(settings):
    settings.NPCADMIN_STATEMENT_TIMEOUT_MS = 2000
    before = _timeout()
    assert _run("get", _sleeping_view(0.01)).status_code == 200
    assert _timeout() == before  # what the pool hands the next request (or command) is unchanged


def test_writes_are_not_limited(settings):
    settings.NPCADMIN_STATEMENT_TIMEOUT_MS = 100
    assert _run("post", _sleeping_view(0.3)).status_code == 200


def test_the_timeout_is_on_for_console_pages(admin_client, settings):
    settings.NPCADMIN_STATEMENT_TIMEOUT_MS = 1234
    seen = []

    def spy(execute, sql, params, many, context):
        if sql.startswith("SHOW statement_timeout"):
            return execute(sql, params, many, context)
        with context["cursor"].cursor.connection.cursor() as raw:
            raw.execute("SHOW statement_timeout")
            seen.append(raw.fetchone()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        assert admin_client.get("/admin/npcs/npc/").status_code == 200
    # The spy runs outside the middleware's wrapper: it sees the first statement before its SET.
    assert len(seen) > 1 and set(seen[1:]) == {"1234ms"}
