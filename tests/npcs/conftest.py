"""Fixtures for console tests."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.fixture
def count_queries():
    """Run a callable and return (result, [sql, ...]) of the queries it made."""

    def run(func, *args, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            result = func(*args, **kwargs)
        return result, [q["sql"] for q in captured.captured_queries]

    return run


def full_counts(queries: list[str]) -> list[str]:
    """Queries that aggregate a count over a table (what big changelists must never run)."""
    return [sql for sql in queries if "COUNT(" in sql.upper()]
