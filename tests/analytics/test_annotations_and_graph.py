"""Events annotated on every time axis (bounded, aggregated), the labelled relationship graph
with its neighbourhood view and filters, and no raw column names in any dashboard table."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics import charts, selectors
from analytics.dashboards import DASHBOARDS
from analytics.filters import DashboardFilters, TimeRange
from npcs import services
from tests.analytics.test_views import make_world, url
from tests.factories.npcs import (
    NPCAllianceFactory,
    NPCBattleFactory,
    NPCFactory,
    NPCMemoryFactory,
    NPCRelationshipFactory,
    NPCWorldStateFactory,
)

pytestmark = pytest.mark.django_db


def _filters(**kw) -> DashboardFilters:
    now = timezone.now()
    return DashboardFilters(time_range=TimeRange(now - datetime.timedelta(days=7), now), range_key="7d", **kw)


def test_annotations_are_bounded_and_aggregated_per_slot():
    npc = NPCWorldStateFactory(world_id="testworld", npc=NPCFactory(name="Brenna")).npc
    now = timezone.now()
    for i in range(120):  # far more battles than the axis can mark one by one
        NPCBattleFactory(npc=npc, world_id="testworld", occurred_at=now - datetime.timedelta(minutes=7 * i + 1))
    lone = NPCBattleFactory(npc=npc, world_id="testworld", occurred_at=now - datetime.timedelta(days=6, hours=12))
    NPCMemoryFactory(npc=npc, world_id="testworld", memory_type="treaty_signed", event_data={"treaty_type": "nap"},
                     occurred_at=now - datetime.timedelta(days=3))
    services.npc_update_template(npc=npc, template={**npc.behavior_template, "economy": 0.2}, expected_token=None)
    rows = selectors.annotations(_filters(world_id="testworld"))
    battles = [r for r in rows if r["kind"] == "battle"]
    assert len(battles) <= selectors.ANNOTATION_SLOTS and sum(r["events"] for r in battles) == 121
    assert any(r["events"] > 1 and r["label"] is None for r in battles)  # aggregated: a count
    [alone] = [r for r in battles if r["time"] == lone.occurred_at]
    assert alone["events"] == 1 and alone["label"].startswith(f"Brenna (#{npc.pk}): victory")
    assert charts.annotation_text({"kind": "battle", "events": 14, "label": None}) == "14 battles"
    kinds = {r["kind"]: r for r in rows}
    assert "treaty signed: nap" in kinds["treaty"]["label"] and "template v2" in kinds["template"]["label"]
    assert selectors.annotations(_filters(world_id="demo")) == []  # another world's events are not marked


@pytest.mark.parametrize("slug", ["overview", "decisions", "battles", "economy"])
def test_every_time_chart_carries_the_annotations_as_a_toggle(analyst_client, slug):
    make_world(2)
    cache.clear()
    drawn = analyst_client.get(url(slug, range="7d", world="testworld")).context["charts"]
    time_charts = [c for c in drawn if c.figure is not None and c.columns[0] == "bucket"]
    assert time_charts
    for chart in time_charts:
        marks = [t for t in chart.figure["data"] if t.get("yaxis") == "y9" and t["mode"] == "markers"]
        assert [t["name"] for t in marks] == ["⚑ battles"]  # one legend entry per kind: a click hides it
        assert chart.figure["layout"]["yaxis9"]["visible"] is False
    assert drawn[-1].id == "annotations" and drawn[-1].is_table


def _world_with_contacts():
    hub = NPCWorldStateFactory(world_id="testworld", npc=NPCFactory(name="Hub"), alliance_id=702)
    NPCAllianceFactory(world_id="testworld", alliance_id=702, name="Iron Pact", tag="IRON")
    contacts = [NPCWorldStateFactory(world_id="testworld", npc=NPCFactory(name=f"Friend {i}")) for i in range(3)]
    for i, state in enumerate(contacts):
        NPCRelationshipFactory(npc=hub.npc, world_id="testworld", target_player_id=state.player_id,
                               relationship_type=("ally", "enemy", "trading_partner")[i], trust_score=(80, -60, 20)[i])
    NPCRelationshipFactory(npc=hub.npc, world_id="testworld", target_player_id=4242, relationship_type="neutral")
    loner = NPCWorldStateFactory(world_id="testworld", npc=NPCFactory(name="Loner"))
    NPCRelationshipFactory(npc=loner.npc, world_id="testworld", target_player_id=4343, relationship_type="enemy")
    return hub, contacts, loner


def _node_texts(figure) -> set[str]:
    return {t for trace in figure["data"] if trace.get("mode") == "markers+text" for t in trace["text"] if t}


def test_the_neighbourhood_view_labels_the_npc_and_every_contact(analyst_client):
    hub, contacts, loner = _world_with_contacts()
    response = analyst_client.get(url("diplomacy", range="7d", world="testworld", npc=hub.npc_id))
    graph = {c.id: c for c in response.context["charts"]}["relationships"]
    assert graph.title == f"Neighbourhood of Hub (#{hub.npc_id})"
    assert _node_texts(graph.figure) == {f"Hub (#{hub.npc_id})", "player #4242",
                                         *(f"{s.npc.name} (#{s.npc_id})" for s in contacts)}
    edge_names = {t["name"] for t in graph.figure["data"] if t["mode"] == "lines"}
    assert edge_names == {"ally", "enemy", "trading partner", "neutral"}  # coloured (and toggled) by type
    assert {r["target"] for r in graph.rows} >= {f"Friend 0 (#{contacts[0].npc_id})", "player #4242"}
    assert f"Loner (#{loner.npc_id})" not in _node_texts(graph.figure)


def test_the_world_graph_filters_by_alliance_and_top_n(analyst_client):
    hub, contacts, loner = _world_with_contacts()
    everything = selectors.relationship_graph(_filters(world_id="testworld", extra=(("players", "1"),)))
    assert {e["source_npc"] for e in everything["edges"]} == {hub.npc_id, loner.npc_id}
    npcs_only = selectors.relationship_graph(_filters(world_id="testworld"))  # the default: NPC to NPC
    assert {e["target_npc"] for e in npcs_only["edges"]} == {s.npc_id for s in contacts}
    allied = selectors.relationship_graph(_filters(world_id="testworld", extra=(("alliance", "702"),)))
    assert {e["source_npc"] for e in allied["edges"]} == {hub.npc_id}
    top = selectors.relationship_graph(_filters(world_id="testworld", extra=(("players", "1"), ("top", "1"))))
    assert {e["source_npc"] for e in top["edges"]} == {hub.npc_id}
    page = analyst_client.get(url("diplomacy", range="7d", world="testworld", alliance=702)).content.decode()
    assert "[IRON] Iron Pact (#702)" in page and 'value="702" selected' in page
    world = {c.id: c for c in analyst_client.get(url("diplomacy", range="7d", world="testworld")).context["charts"]}
    assert f"Hub (#{hub.npc_id})" in _node_texts(world["relationships"].figure)
    assert world["relationships"].figure["layout"]["height"] >= 800


def test_the_world_graph_labels_only_its_best_connected_nodes():
    edges = [{"source_npc": i, "target_player_id": 9000 + i, "target_npc": None, "trust_score": 50,
              "relationship_type": "ally"} for i in range(1, 61)]
    edges += [{"source_npc": 1, "target_player_id": 8000 + i, "target_npc": None, "trust_score": 90,
               "relationship_type": "enemy"} for i in range(5)]
    graph = {"edges": edges, "players": sorted({e["target_player_id"] for e in edges}), "focus": None,
             "npcs": [{"npc_id": i, "name": f"n{i}", "personality": "economic", "player_id": i, "alliance_id": None,
                       "alliance": None} for i in range(1, 61)]}
    texts = _node_texts(charts.relationship_chart(graph).figure)
    assert len(texts) == charts.GRAPH_LABELS and "n1 (#1)" in texts


RAW_TITLE = re.compile(r"<th[^>]*>\s*([a-z]+(?:_[a-z0-9]+)+)\s*</th>")


@pytest.mark.parametrize("slug", list(DASHBOARDS))
def test_no_dashboard_table_shows_a_raw_column_name(analyst_client, slug):
    states = make_world(3)
    cache.clear()
    html = analyst_client.get(url(slug, range="7d", world="testworld", npc=states[0].npc_id)).content.decode()
    assert "<th" in html
    assert RAW_TITLE.findall(html) == []
    assert not re.search(r"<td[^>]*>\d+\.0</td>", html)  # ranks and counts as whole numbers
    assert RAW_TITLE.findall("<th>npc_id</th><th>NPC #</th>") == ["npc_id"]  # the check can fail


@pytest.mark.django_db(databases="__all__")
def test_no_console_table_shows_a_raw_column_name(admin_client):
    """The same walk over the console: every changelist, the NPC page and the mind and worlds pages."""
    from django.contrib import admin
    from django.urls import reverse

    states = make_world(2)
    pages = [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry]
    pages += [reverse("admin:npcs_npc_overview", args=[states[0].npc_id]), reverse("mind:decisions_overview"),
              reverse("mind:decision_timeline", args=[states[0].npc_id]), "/worlds/", "/worlds/testworld/",
              "/worlds/testworld/builds/"]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        assert RAW_TITLE.findall(response.content.decode()) == [], page
