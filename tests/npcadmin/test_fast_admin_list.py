"""The fast changelist rows are Django's own markup, cell for cell, on every console changelist."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.test import RequestFactory

from npcadmin.templatetags.fast_admin_list import fast_results
from tests.factories.npcs import (
    NPCBattleFactory,
    NPCDecisionFactory,
    NPCFactory,
    NPCMemoryFactory,
    NPCRelationshipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    npc = NPCFactory(name="Brennus <the> & bold")
    for i in range(3):
        NPCDecisionFactory(npc=npc, used_llm=bool(i % 2), llm_latency_ms=None if i else 812, outcome_success=None)
        NPCMemoryFactory(npc=npc)
        NPCBattleFactory(npc=npc)
    NPCRelationshipFactory(npc=npc, relationship_type=None)
    return npc


def _changelist(model, admin_user, query=""):
    model_admin = admin.site._registry[model]
    request = RequestFactory().get(f"/admin/x/?{query}")
    request.user = admin_user
    return model_admin.get_changelist_instance(request)


@pytest.mark.parametrize("query", ["", "used_llm__exact=1", "o=1"])
def test_every_console_changelist_renders_like_django(rows, admin_user, query):
    compared = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "npcs" or model_admin.change_list_template != "admin/fast_change_list.html":
            continue
        try:
            cl = _changelist(model, admin_user, query if model.__name__ == "NPCDecision" else "")
        except Exception:  # noqa: S112 - a filter this model does not have
            continue
        fast = fast_results(cl)
        if fast is None:
            continue
        stock = ["".join(str(cell) for cell in row) for row in results(cl)]
        assert ["".join(str(cell) for cell in row) for row in fast] == stock, model.__name__
        compared += 1
    assert compared >= 3


def test_changelist_page_uses_the_fast_rows(admin_client, rows):
    page = admin_client.get("/admin/npcs/npcdecision/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="action-select"' not in html or "Select this object" in html
    assert "Brennus &lt;the&gt; &amp; bold" in html


def _same_as_django(cl):
    fast = fast_results(cl)
    assert fast is not None
    assert ["".join(str(c) for c in row) for row in fast] == ["".join(str(c) for c in row) for row in results(cl)]


@pytest.mark.parametrize("fmt", ["N j, Y, P", "Y-m-d H:i:s", r"Y-m-d H:i \s"])
def test_datetimes_of_one_minute_render_like_django_whatever_the_format(admin_user, settings, fmt):
    """Rows of the same minute share one formatted string only when the format shows no seconds."""
    import datetime

    from django.utils import timezone

    settings.DATETIME_FORMAT = fmt
    settings.USE_L10N = True
    settings.FORMAT_MODULE_PATH = None
    base = timezone.now().replace(second=0, microsecond=0)
    npc = NPCFactory()
    for seconds in (1, 29, 59, 61):
        NPCDecisionFactory(npc=npc, created_at=base - datetime.timedelta(seconds=seconds))
    from django.utils import translation

    with translation.override(None):  # the format above, not the locale's
        _same_as_django(_changelist(NPCDecisionFactory._meta.model, admin_user))


@pytest.mark.parametrize("language", ["en", "de"])
def test_numbers_render_like_django_in_another_locale(admin_user, language):
    from django.utils import translation

    NPCDecisionFactory(llm_latency_ms=123456, decision_confidence=0.125)
    with translation.override(language):
        _same_as_django(_changelist(NPCDecisionFactory._meta.model, admin_user))


def test_log_changelists_load_only_the_columns_they_show(admin_client, rows):
    """A decision's prompt and JSON documents stay in the database; no row loads one afterwards."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        page = admin_client.get("/admin/npcs/npcdecision/")
    assert page.status_code == 200
    rows_sql = next(q["sql"] for q in captured.captured_queries
                    if 'FROM "npc_decisions"' in q["sql"] and "ORDER BY" in q["sql"])
    for column in ("llm_prompt", "llm_response", "situation_summary", "final_decision", "outcome_data"):
        assert f'"npc_decisions"."{column}"' not in rows_sql
    assert '"npcs"."personality"' not in rows_sql and '"npcs"."name"' in rows_sql


@pytest.mark.parametrize("path", ["npcdecision", "npcmemory", "npcbattle", "npctrade", "npcmessage"])
def test_log_changelist_queries_do_not_grow_with_rows(admin_client, path, django_assert_max_num_queries):
    from tests.factories.npcs import NPCMessageFactory, NPCTradeFactory

    factory = {"npcdecision": NPCDecisionFactory, "npcmemory": NPCMemoryFactory, "npcbattle": NPCBattleFactory,
               "npctrade": NPCTradeFactory, "npcmessage": NPCMessageFactory}[path]
    factory.create_batch(5)
    admin_client.get(f"/admin/npcs/{path}/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(f"/admin/npcs/{path}/").status_code == 200
    factory.create_batch(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin_client.get(f"/admin/npcs/{path}/").status_code == 200
