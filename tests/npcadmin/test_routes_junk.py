"""Junk in the query string of every page: a clear answer (200 with a form error, 400, 404, a
redirect), never a 5xx.

The parameters are not listed by hand: each page is first fetched as it is, and the names its
own GET forms and links offer (`<input name=…>`, `<select name=…>`, `href="?a=…"`) are then sent
back with junk values — so a new filter on any page is covered the day it appears.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import transaction

from tests.npcadmin.test_role_matrix import _client, _routes, _url, _user, world  # noqa: F401  (fixture)

JUNK = ["x", "-1", "99999999999999999999", "2026-13-45T25:61", "\x00", "now-9999999y"]
NEVER = {"csrfmiddlewaretoken", "password", "password1", "password2", "username"}
_NAME = re.compile(r"""<(?:input|select|textarea)\b[^>]*\bname=["']([^"']+)["']""", re.I)
_HREF = re.compile(r"""href=["']([^"']*\?[^"']*)["']""", re.I)


def _offered_names(page: str, path: str) -> set[str]:
    """Parameter names the page's GET forms and its own links use."""
    names = set()
    for form in re.findall(r"<form\b[^>]*>.*?</form>", page, re.S | re.I):
        opening = form[: form.index(">")]
        if re.search(r"method=[\"']?post", opening, re.I):
            continue
        names.update(_NAME.findall(form))
    for href in _HREF.findall(page):
        parts = urlsplit(html.unescape(href))
        if parts.path in ("", path):
            names.update(key for key, _ in parse_qsl(parts.query, keep_blank_values=True))
    return names - NEVER


@pytest.mark.django_db(databases="__all__")
def test_junk_query_strings_never_answer_5xx(world, redis_client):  # noqa: F811
    client = _client(_user("superuser"))
    checked, covered = 0, set()
    for key, route, pattern in sorted(_routes()):
        if key in ("admin:logout", "favicon", "analytics:plotly_js") or "jsi18n" in key:
            continue
        url, query = _url(key, route, pattern, world)
        with transaction.atomic(), transaction.atomic(using="world_demo"):
            response = client.get(url, query)
            transaction.set_rollback(True)
            transaction.set_rollback(True, using="world_demo")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        names = _offered_names(response.content.decode(), urlsplit(url).path) | {"page", "p", "o", "q"}
        for junk in JUNK:
            junk_query = {**query, **{name: junk for name in names}}
            with transaction.atomic(), transaction.atomic(using="world_demo"):
                response = client.get(url, junk_query)
                transaction.set_rollback(True)
                transaction.set_rollback(True, using="world_demo")
            assert response.status_code < 500, (url, junk, response.status_code)
            checked += 1
        covered.update(f"{key}?{name}" for name in names)
    # The walk really reached the filtered pages (a broken URL filler would make this test vacuous).
    assert checked > 100
    assert {"analytics:dashboard?end", "admin:npcs_npc_changelist?q", "worlds:village_list?page"} <= covered, \
        sorted(c for c in covered if c.startswith(("analytics", "worlds")))
