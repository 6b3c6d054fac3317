"""Dashboards: who may see them, what they show, CSV = chart data, Redis caching, bounded queries."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.cache import cached_dashboard_data, dashboard_cache_key
from analytics.dashboards import DASHBOARDS
from analytics.filters import DashboardFilters, TimeRange
from analytics.services import metrics_hourly_refresh
from tests.factories.analytics import NPCMetricFactory
from tests.factories.npcs import (
    NPCBattleFactory,
    NPCDecisionFactory,
    NPCMessageFactory,
    NPCRelationshipFactory,
    NPCTradeFactory,
    NPCWorldStateFactory,
)

pytestmark = pytest.mark.django_db
SLUGS = list(DASHBOARDS)


def url(slug, **query):
    from urllib.parse import urlencode

    return reverse("analytics:dashboard", args=[slug]) + ("?" + urlencode(query) if query else "")


def make_world(n: int):
    """n NPCs in testworld, each with 2 days of hourly samples, a decision, battle, trade, message, relationship."""
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    states = [NPCWorldStateFactory(world_id="testworld") for _ in range(n)]
    for state in states:
        npc = state.npc
        for h in range(48):
            NPCMetricFactory(time=hour - datetime.timedelta(hours=h), npc_id=npc.id, population=100 + h,
                             rank=state.rank)
        NPCDecisionFactory(npc=npc, used_llm=True, decision_latency_ms=100)
        NPCDecisionFactory(npc=npc, decision_type="strategic", final_decision={"strategy": "military"})
        NPCBattleFactory(npc=npc)
        NPCTradeFactory(npc=npc)
        NPCMessageFactory(from_npc=npc, message_type="threat")
        NPCRelationshipFactory(npc=npc, world_id="testworld", target_player_id=states[0].player_id, trust_score=40)
    metrics_hourly_refresh()
    return states


# --- access -----------------------------------------------------------------------------------

def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(url("overview"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_staff_without_the_dashboards_permission_and_non_staff_are_refused(client, django_user_model, analyst):
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    client.force_login(staff)
    assert client.get(url("overview")).status_code == 403
    analyst.is_staff = False
    analyst.save()
    client.force_login(analyst)
    refused = client.get(url("overview"))  # not staff: the console's login page, like every page
    assert refused.status_code == 302 and "/admin/login/" in refused.url


@pytest.mark.parametrize("slug", SLUGS)
def test_analyst_sees_every_dashboard_and_can_change_nothing(analyst_client, slug):
    response = analyst_client.get(url(slug, range="7d", world="testworld", npc=1), follow=True)
    assert response.status_code == 200
    for method in (analyst_client.post, analyst_client.put, analyst_client.delete):
        assert method(url(slug)).status_code == 405
    # ... and has no change permission anywhere in the admin.
    assert analyst_client.get("/admin/npcs/npc/add/").status_code in (302, 403, 404)


def test_index_lists_dashboards(analyst_client):
    response = analyst_client.get(reverse("analytics:index"))
    assert response.status_code == 200
    for board in DASHBOARDS.values():
        assert board.title.encode() in response.content


def test_plotly_is_served_locally(client):
    response = client.get(reverse("analytics:plotly_js", args=["x"]))
    assert response.status_code == 200 and b"plotly" in response.content[:2000].lower()
    assert "max-age" in response["Cache-Control"]
    again = client.get(reverse("analytics:plotly_js", args=["x"]), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize("accept, encoding", [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("identity", None)])
def test_plotly_is_sent_compressed_when_the_browser_accepts_it(client, accept, encoding):
    import gzip

    import brotli

    response = client.get(reverse("analytics:plotly_js", args=["x"]), HTTP_ACCEPT_ENCODING=accept)
    assert response.get("Content-Encoding") == encoding and response["Vary"] == "Accept-Encoding"
    body = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[encoding](response.content)
    assert b"plotly" in body[:2000].lower()
    if encoding:
        assert len(response.content) < len(body) / 3  # 4.8 MB of JavaScript, sent in well under a third


# --- content ----------------------------------------------------------------------------------

def test_overview_shows_population_and_top_npcs(analyst_client):
    states = make_world(2)
    response = analyst_client.get(url("overview", range="7d", world="testworld"))
    charts = {c.id: c for c in response.context["charts"]}
    population = charts["population"].figure["data"][0]
    assert population["y"][-1] == 200  # two NPCs at population 100 in the newest hour
    assert population["y"][0] == 2 * (100 + 47)
    assert {r["npc_id"] for r in charts["top_npcs"].rows} == {s.npc_id for s in states}
    assert b"plotly-" in response.content and b"cdn" not in response.content.lower()
    assert b'<select name="refresh" id="refresh">' in response.content  # a refresh picker for any range


def test_the_refresh_picker_keeps_its_choice_and_ignores_unknown_ones(analyst_client):
    html = analyst_client.get(url("overview", range="30d", refresh="10s")).content.decode()
    assert '<option value="10s" selected>' in html and 'data-refresh="10s"' in html
    html = analyst_client.get(url("overview", range="30d", refresh="1ms")).content.decode()
    assert 'data-refresh=""' in html


@pytest.mark.parametrize("params, span", [
    ({"from": "now-6h"}, datetime.timedelta(hours=6)),
    ({"from": "now-2d", "to": "now-1d"}, datetime.timedelta(days=1)),
    ({"from": "1764540000000", "to": "1764543600000"}, datetime.timedelta(hours=1)),  # a zoomed axis (ms)
    ({"from": "2026-11-30T10:00:00Z", "to": "2026-11-30T12:30:00Z"}, datetime.timedelta(hours=2, minutes=30)),
])
def test_grafana_style_from_and_to_set_one_range_for_every_panel(analyst_client, params, span):
    make_world(1)
    response = analyst_client.get(url("overview", **params))
    assert response.status_code == 200
    time_range = response.context["filters"].time_range
    assert abs(time_range.span - span) < datetime.timedelta(seconds=1)
    ranges = {tuple(c.figure["layout"]["xaxis"]["range"]) for c in response.context["charts"]
              if c.figure and c.columns[0] == "bucket"}
    assert len(ranges) == 1  # every time panel shows the same range
    assert 'name="from" value="{}"'.format(params["from"]) in response.content.decode()  # kept on Apply


@pytest.mark.parametrize("params", [{"from": "yesterday"}, {"from": "now-1h", "to": "now-2h"}, {"from": "now-500d"}])
def test_bad_from_and_to_are_a_400_with_the_reason(analyst_client, params):
    response = analyst_client.get(url("overview", **params))
    assert response.status_code == 400 and response.context["form"].errors


def test_npc_page_has_event_markers(analyst_client):
    [state] = make_world(1)
    response = analyst_client.get(url("npc", range="7d", npc=state.npc_id))
    charts = {c.id: c for c in response.context["charts"]}
    names = [trace.get("name") for trace in charts["military"].figure["data"]]
    assert {"⚑ battles", "⚑ strategy changes"} <= set(names)
    assert {e["kind"] for e in charts["events"].rows} == {"battle", "strategy"}
    assert "annotations" not in charts  # the events table lists them already


def test_npc_page_without_npc_offers_a_picker(analyst_client):
    [state] = make_world(1)
    response = analyst_client.get(url("npc", range="7d"))
    assert response.status_code == 200 and not response.context["charts"]
    assert state.npc.name.encode() in response.content


def test_diplomacy_puts_the_world_in_the_url(analyst_client):
    response = analyst_client.get(url("diplomacy", range="7d"))
    assert response.status_code == 302 and "world=testworld" in response["Location"]


def test_invalid_custom_range_is_explained(analyst_client):
    response = analyst_client.get(url("overview", range="custom", start="2026-01-02T00:00", end="2026-01-01T00:00"))
    assert response.status_code == 400 and b"after its start" in response.content


@pytest.mark.parametrize("slug", SLUGS)
def test_csv_is_the_data_behind_each_chart(analyst_client, slug):
    states = make_world(2)
    query = {"range": "7d", "world": "testworld", "npc": states[0].npc_id} if slug == "npc" else \
        {"range": "7d", "world": "testworld"}
    charts = analyst_client.get(url(slug, **query)).context["charts"]
    assert charts
    for chart in charts:
        response = analyst_client.get(url(slug, **query, csv=chart.id))
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert list(rows[0] if rows else chart.columns) == chart.columns
        assert len(rows) == len(chart.rows)
        for row, source in zip(rows, chart.rows, strict=True):
            assert row == {c: "" if source.get(c) is None else str(source.get(c)) for c in chart.columns}
        if chart.figure and chart.rows and chart.columns[0] == "bucket":
            # Every time-series trace drawn over all rows is one column of the CSV, value for value.
            for trace in chart.figure["data"]:
                if trace.get("yaxis") == "y9":  # the event annotations: the "annotations" table's CSV
                    continue
                if len(trace.get("y", ())) == len(rows) and trace.get("x") is not None:
                    drawn = ["" if v is None else str(v) for v in trace["y"]]
                    assert any(drawn == [r[c] for r in rows] for c in chart.columns), (chart.id, trace["name"])


# --- cache ------------------------------------------------------------------------------------

def test_dashboard_data_is_cached_in_redis_by_filters():
    now = timezone.now()
    calls = []

    def build(filters):
        calls.append(filters)
        return {"n": len(calls)}

    week = DashboardFilters("7d", TimeRange(now - datetime.timedelta(days=7), now), world_id="testworld")
    assert cached_dashboard_data("overview", week, build) == {"n": 1}
    assert cached_dashboard_data("overview", week, build) == {"n": 1}
    other_world = DashboardFilters("7d", week.time_range, world_id="demo")
    assert cached_dashboard_data("overview", other_world, build) == {"n": 2}
    other_npc = DashboardFilters("7d", week.time_range, world_id="testworld", npc_id=3)
    assert cached_dashboard_data("overview", other_npc, build) == {"n": 3}
    assert cached_dashboard_data("battles", week, build) == {"n": 4}
    key = dashboard_cache_key("overview", week)
    assert key.startswith("analytics:overview:testworld:all:7d:")
    assert cache.ttl(key) <= 300  # django-redis: a week ending now lives 5 minutes


def test_ttl_fits_the_range():
    now = timezone.now()
    assert TimeRange(now - datetime.timedelta(hours=1), now).cache_ttl(now) == 30
    assert TimeRange(now - datetime.timedelta(days=30), now).cache_ttl(now) == 900
    past = TimeRange(now - datetime.timedelta(days=60), now - datetime.timedelta(days=30))
    assert past.cache_ttl(now) == 3600


def test_second_view_reads_redis_not_postgres(analyst_client):
    make_world(1)
    analyst_client.get(url("overview", range="7d"))
    with CaptureQueriesContext(connection) as queries:
        analyst_client.get(url("overview", range="7d"))
    assert not [q for q in queries.captured_queries if "npc_metrics" in q["sql"]]


def test_new_data_invalidates_the_cache(analyst_client):
    make_world(1)
    first = analyst_client.get(url("overview", range="7d")).context["charts"][0].rows
    NPCMetricFactory(time=timezone.now() - datetime.timedelta(hours=100), npc_id=99999)
    metrics_hourly_refresh()
    second = analyst_client.get(url("overview", range="7d")).context["charts"][0].rows
    assert len(second) == len(first) + 1


# --- query counts -----------------------------------------------------------------------------

@pytest.mark.parametrize("slug", SLUGS)
def test_query_count_does_not_grow_with_npcs(analyst_client, django_assert_max_num_queries, slug):
    states = make_world(3)
    query = {"range": "7d", "world": "testworld", "npc": states[0].npc_id}
    with django_assert_max_num_queries(9):  # + the event annotations of the time axes
        assert analyst_client.get(url(slug, **query)).status_code == 200
    make_world(3)
    cache.clear()
    with django_assert_max_num_queries(9):
        assert analyst_client.get(url(slug, **query)).status_code == 200


def test_csv_neutralises_spreadsheet_formulas():
    from analytics.charts import Chart
    from analytics.views import _csv_response

    chart = Chart("t", "t", [{"name": "=HYPERLINK(1)", "value": -3}], ["name", "value"])
    assert _csv_response(chart, "t.csv").content.decode().splitlines()[1] == "'=HYPERLINK(1),-3"


def test_unfiltered_page_selects_the_range_it_shows(client, django_user_model):
    from django.contrib.auth.models import Permission

    from analytics.filters import DEFAULT_RANGE

    user = django_user_model.objects.create_user("range-analyst", password="pw-12345678", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_analytics", content_type__app_label="npcadmin"))
    client.force_login(user)
    html = client.get("/analytics/overview/").content.decode()
    assert f'<option value="{DEFAULT_RANGE}" selected>' in html
