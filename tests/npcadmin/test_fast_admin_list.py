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
