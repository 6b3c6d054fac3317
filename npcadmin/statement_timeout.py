"""Read requests run their SQL under a statement timeout; writes, the engine and commands do not.

A GET or HEAD (a console changelist, a dashboard, a world page) sets PostgreSQL's
`statement_timeout` to `NPCADMIN_STATEMENT_TIMEOUT_MS` on each connection it uses, before its
first query, and puts it back before the connection goes back to the pool. A query cut off
answers 503 with a line saying to narrow the filters, instead of holding a worker and a
database backend for as long as someone's filter takes. Management commands and the engine
never pass through this middleware.
"""

from __future__ import annotations

import contextlib
import logging

from django.conf import settings
from django.db import connections
from django.db.utils import OperationalError
from django.http import HttpResponse

logger = logging.getLogger(__name__)
READ_METHODS = ("GET", "HEAD")


def _is_query_canceled(exc: BaseException) -> bool:
    from psycopg import errors

    return isinstance(exc, OperationalError) and isinstance(exc.__cause__, errors.QueryCanceled)


class _TimeoutSetter:
    """An execute wrapper: the first statement on a connection in this request sets the timeout."""

    def __init__(self, milliseconds: int):
        self.milliseconds = int(milliseconds)
        self.touched: list = []

    def __call__(self, execute, sql, params, many, context):
        connection = context["connection"]
        if connection.vendor == "postgresql" and connection not in self.touched:
            self.touched.append(connection)
            # The raw cursor: through Django's it would come back through this wrapper.
            context["cursor"].cursor.execute(f"SET statement_timeout = {self.milliseconds}")
        return execute(sql, params, many, context)

    def reset(self) -> None:
        for connection in self.touched:
            if connection.connection is None:
                continue
            try:
                with connection.connection.cursor() as cursor:
                    cursor.execute("RESET statement_timeout")
            except Exception:  # an aborted transaction or a lost connection: drop it instead
                logger.warning("could not reset statement_timeout; closing %s", connection.alias)
                with contextlib.suppress(Exception):
                    connection.close()


class StatementTimeoutMiddleware:
    """`SET statement_timeout` for read requests (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        milliseconds = getattr(settings, "NPCADMIN_STATEMENT_TIMEOUT_MS", 0)
        if request.method not in READ_METHODS or not milliseconds:
            return self.get_response(request)
        setter = _TimeoutSetter(milliseconds)
        with contextlib.ExitStack() as stack:
            for connection in connections.all(initialized_only=False):
                stack.enter_context(connection.execute_wrapper(setter))
            try:
                return self.get_response(request)
            finally:
                setter.reset()

    def process_exception(self, request, exception):
        if request.method in READ_METHODS and _is_query_canceled(exception):
            seconds = getattr(settings, "NPCADMIN_STATEMENT_TIMEOUT_MS", 0) / 1000
            return HttpResponse(f"This page's query took longer than {seconds:g} s and was stopped. "
                                "Narrow the filters (a shorter time range, one world, one NPC) and try again.",
                                status=503, content_type="text/plain; charset=utf-8")
        return None
