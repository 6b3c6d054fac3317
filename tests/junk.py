"""Hypothesis strategies of malformed form input, and the check every property test makes with it.

The check: a POST or GET with junk never answers 5xx (the test client re-raises a view's
exception, so a crash fails the example with its traceback), and a response that is not a
success leaves the rows as they were. Each example runs in a savepoint that is rolled back,
so a successful save does not change what the next example starts from.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Small on purpose: each properties file runs in well under a minute. A deeper search (nightly, or
# before a release): NPCADMIN_PROPERTY_EXAMPLES=500 pytest tests -k properties
FORM_SETTINGS = settings(max_examples=int(os.environ.get("NPCADMIN_PROPERTY_EXAMPLES", "25")), deadline=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

NASTY = [
    "", " ", "\x00", "nan", "NaN", "inf", "-inf", "1e309", "-1", "0", "-0", "1.5", "2", "1e-400",
    "99999999999999999999999", "-9223372036854775809", "2147483648", "0x10", "1_000", "1,5", "٣",
    "true", "null", "[]", "{}", "[1, 2", '{"a":', '"text"', "[[[[[[[[[[]]]]]]]]]]", '{"a": "\\u0000"}',
    '{"\\u0000": 1}', '"\\ud800"', "{\"aggression\": 5}", "[{}]", '[{"type": "nap"}]',
    "2026-13-45", "2026-02-30T25:61", "9999-12-31T23:59", "0001-01-01", "10000-01-01", "1970-01-01T00:00",
    "<script>alert(1)</script>", "'; DROP TABLE npcs; --", "%", "_", "\\", "../../etc/passwd",
    "x" * 5000, "\u202e\u0301", "🐉", "NPC\nsecond line",
]
junk_text = st.one_of(
    st.sampled_from([*NASTY, str(10**30), "(", "[", "*", "a{99999}"]),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


# Lookups no filter shows (refused with a 400), including ones that made 500s before.
JUNK_LOOKUPS = ("name__regex", "llm_prompt__regex", "id__gt", "pk__in", "npc__name__iregex", "password__regex",
                "username__regex", "tribe__exact", "\x00", "o__exact", "id__exact")
# Query parameters Django's changelist itself reads (search, order, page, error flag, show all).
CHANGELIST_VARS = ("q", "o", "p", "e", "all", "_to_field", "_popup", "cursor")
HUGE = str(10**30)


def changelist_params(model_admin, request) -> tuple[str, ...]:
    """Every GET parameter a changelist reads, and junk lookups it must refuse."""
    return tuple(sorted({*model_admin.allowed_lookups(request), *CHANGELIST_VARS, *JUNK_LOOKUPS}))


def dashboard_params(board) -> tuple[str, ...]:
    """Every GET parameter a dashboard reads: the filter bar, the board's own filters, the CSV."""
    from analytics.filters import DashboardFilterForm

    return tuple(sorted({*DashboardFilterForm.base_fields, *board.extra_fields(), "csv", "chart"}))


def junk_for(fields) -> st.SearchStrategy[dict[str, str]]:
    """Some of `fields` replaced by junk (or dropped, as a hand-made request may do)."""
    value = junk_text | st.just(None)
    return st.dictionaries(st.sampled_from(list(fields)), value, min_size=1, max_size=4)


def apply(base: dict, junk: dict) -> dict:
    data = {**base, **junk}
    return {key: value for key, value in data.items() if value is not None}


def assert_no_500_and_no_partial_write(send: Callable, snapshot: Callable, *, ok=(302,),
                                       using: tuple[str, ...] = ("default",)):
    """Send one request inside savepoints (one per database in `using`) that are rolled back."""
    with contextlib.ExitStack() as stack:
        for alias in using:
            stack.enter_context(transaction.atomic(using=alias))
        before = snapshot()
        response = send()
        assert response.status_code < 500, response
        if response.status_code not in ok:
            assert snapshot() == before, "an error response wrote to the database"
        for alias in using:
            transaction.set_rollback(True, using=alias)
    return response
