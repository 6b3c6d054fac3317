"""Property: whatever the URL's query string says, a dashboard answers 200 or a 400 with the form's
errors (never a 500), and asking writes nothing but the cache."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from analytics.dashboards import DASHBOARDS
from tests.factories.npcs import NPCDecisionFactory, NPCFactory
from tests.junk import FORM_SETTINGS, HUGE, dashboard_params, junk_for

pytestmark = pytest.mark.django_db

@pytest.mark.parametrize("slug", sorted(DASHBOARDS))
@FORM_SETTINGS
@given(data=st.data(), world=st.sampled_from(["demo", "testworld", "", "\x00", HUGE]))
def test_dashboard_filters_with_junk(admin_client, slug, data, world):
    """Every GET parameter of every dashboard (derived from its filter form), with junk."""
    params = data.draw(junk_for(dashboard_params(DASHBOARDS[slug])))
    query = {"world": world, **{k: v for k, v in params.items() if v is not None}}
    response = admin_client.get(reverse("analytics:dashboard", args=[slug]), query)
    assert response.status_code in (200, 302, 400, 404), response  # 404: csv= names no chart


def test_junk_filters_on_data(admin_client):
    """The same with rows behind the charts (the empty tables return before some of the SQL)."""
    npc = NPCFactory()
    NPCDecisionFactory.create_batch(3, npc=npc)
    for query in ({"npc": "99999999999999999999"}, {"npc": str(2**31)}, {"npc": str(2**63)},
                  {"range": "custom", "start": "0001-01-01T00:00", "end": "0001-06-01T00:00"},
                  {"range": "custom", "start": "9999-12-01T00:00", "end": "9999-12-31T23:59"},
                  {"min_trust": "99999999999999999999"}, {"world": "\x00"}, {"csv": "\x00"}):
        for slug in DASHBOARDS:
            response = admin_client.get(reverse("analytics:dashboard", args=[slug]), {"world": "demo", **query})
            assert response.status_code in (200, 302, 400, 404), (slug, query)
