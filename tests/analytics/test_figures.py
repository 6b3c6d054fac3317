"""`analytics.figures` builds exactly the JSON `plotly.graph_objects` builds, for every dashboard's charts."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import plotly.graph_objects
import pytest
from django.core.serializers.json import DjangoJSONEncoder

from analytics import charts

T = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC)
H = datetime.timedelta(hours=1)


def _series():
    rows = []
    for i in range(5):
        row = {c: float(i * 10 + n) for n, c in enumerate(
            ("population", "wood", "clay", "iron", "wheat", "wood_production", "clay_production", "iron_production",
             "wheat_production", "offensive_power", "defensive_power", "total_troops", "avg_rank",
             "wood_produced", "clay_produced", "iron_produced", "wheat_produced"))}
        row.update(bucket=T + i * H, total_wood_produced=i * 7, samples=60, npcs=3)
        rows.append(row)
    rows[2]["population"] = None
    return rows


STANDINGS = [
    {"npc_id": i, "name": f"npc {i}", "personality": p, "tribe": "romans", "world_id": "testworld",
     "rank": float(i), "population": 100 * i, "production_rate": 10 * i, "military_power": i}
    for i, p in enumerate(["aggressive", "economic", None, "diplomat"], start=1)
]
EVENTS = [{"time": T + H, "kind": "battle", "label": "victory (raid)", "value": 5},
          {"time": T + 2 * H, "kind": "treaty", "label": "treaty signed", "value": None},
          {"time": T + 3 * H, "kind": "strategy", "label": "strategy: expand", "value": None}]
BY_TYPE = [{"decision_type": t, "decisions": 10, "llm_decisions": 4, "llm_share": 0.4, "latency_p50": 12.5,
            "latency_p95": 40.0, "latency_p99": 80.0, "llm_latency_p50": None, "avg_confidence": Decimal("0.7"),
            "measured": 3, "success_rate": None if t == "trade" else 0.5} for t in ("strategic", "trade")]
DECISION_SERIES = [{"bucket": T + i * H, "llm": i, "rule": 2 * i} for i in range(3)]
PER_NPC = [{"npc_id": 1, "name": "a", "personality": "assassin", "llm_calls": 5, "decisions": 9},
           {"npc_id": 2, "name": "b", "personality": "unknown", "llm_calls": 2, "decisions": 3}]
BATTLES = [{"personality": "aggressive", "tribe": t, "battles": 4, "victories": 2, "win_rate": 0.5,
            "avg_prediction_accuracy": 0.6, "prediction_hit_rate": None, "resources_gained": 1,
            "resources_lost": 2} for t in ("gauls", "romans")]
BATTLE_SERIES = [{"bucket": T, "battles": 2, "resources_gained": 10, "resources_lost": 3}]
TRADES = [{"bucket": T, "status": s, "trades": 3} for s in ("completed", "rejected")]
RATES = [{"trade": 1, "npc_id": 1, "personality": "economic", "offered_resource": "wood",
          "requested_resource": "iron", "exchange_rate": 1.2, "market_rate": 1.0, "profit_margin": 0.2},
         {"trade": 2, "npc_id": 2, "personality": None, "offered_resource": "clay",
          "requested_resource": "iron", "exchange_rate": 0.8, "market_rate": 0.9, "profit_margin": -0.1}]
BY_PERSONALITY = [{"personality": "economic", "trades": 3, "avg_profit_margin": 0.1, "offered": 10}]
BY_NPC = [{"side": side, "npc_id": 1, "name": "a", "personality": "economic", "trades": 2, "avg_profit_margin": 0.1}
          for side in ("best", "worst")]
MESSAGES = [{"message_type": "offer", "sent": 4, "response_rate": 0.5, "positive_rate": None, "success_rate": 0.25}]
GRAPH = {"edges": [{"source_npc": 1, "target_player_id": 7, "target_npc": 2, "trust_score": 60,
                    "relationship_type": "ally"},
                   {"source_npc": 1, "target_player_id": 99, "target_npc": None, "trust_score": -70,
                    "relationship_type": "enemy"}],
         "npcs": [{"npc_id": 1, "name": "a", "personality": "economic", "player_id": 5, "alliance_id": 1,
                   "alliance": "North"},
                  {"npc_id": 2, "name": "b", "personality": "diplomat", "player_id": 7, "alliance_id": None,
                   "alliance": None}],
         "players": [99]}

DRAWINGS = {
    "overview": lambda: charts.overview_charts(_series(), STANDINGS, npc_url="/n/{npc_id}"),
    "npc": lambda: charts.npc_charts(_series(), EVENTS),
    "npc_no_events": lambda: charts.npc_charts(_series(), []),
    "decisions": lambda: charts.decision_charts(BY_TYPE, DECISION_SERIES, PER_NPC),
    "battles": lambda: charts.battle_charts(BATTLES, BATTLE_SERIES),
    "economy": lambda: charts.economy_charts(TRADES, RATES, BY_PERSONALITY, BY_NPC),
    "diplomacy": lambda: charts.diplomacy_charts(MESSAGES, GRAPH),
    "empty": lambda: charts.decision_charts([], [], []),
}


def _json(drawn):
    return [json.dumps(chart.figure, cls=DjangoJSONEncoder, sort_keys=True) for chart in drawn]


@pytest.mark.parametrize("name", sorted(DRAWINGS))
def test_figures_equal_plotly_graph_objects(name, monkeypatch):
    ours = _json(DRAWINGS[name]())
    monkeypatch.setattr(charts, "go", plotly.graph_objects)
    theirs = _json(DRAWINGS[name]())
    assert ours == theirs


def test_rank_is_drawn_per_world_with_whole_number_axes_and_tables_have_human_titles():
    standings = [{**row, "world_id": world} for world in ("north", "south") for row in STANDINGS]
    (chart,) = [c for c in charts.overview_charts(_series(), standings) if c.id == "rank_distribution"]
    panels = {(t["xaxis"], t["yaxis"]) for t in chart.figure["data"]}
    assert panels == {("x", "y"), ("x2", "y2")}  # one panel per world, no world mixed into another's
    assert all(isinstance(x, int) for t in chart.figure["data"] for x in t["x"])
    layout = chart.figure["layout"]
    assert layout["xaxis"]["tickformat"] == layout["xaxis2"]["tickformat"] == "d"
    legend = [t["name"] for t in chart.figure["data"] if t.get("showlegend", True)]
    assert sorted(legend) == sorted(set(legend))  # each personality once in the legend
    overview = charts.overview_charts(_series(), standings)
    assert "rank" not in {c.id for c in overview}  # the flat "average rank" line is gone
    for drawn in DRAWINGS.values():
        for c in drawn():
            assert all("_" not in title for title in c.headers), c.headers
            if c.figure:
                assert c.figure["layout"]["xaxis"]["automargin"] is True


def test_table_cells_show_ranks_as_whole_numbers():
    from analytics.templatetags.analytics_tags import table_cell

    chart = charts.Chart("t", "t", [], ["rank"])
    assert table_cell(chart, {"rank": 32.4}, "rank") == "32"
    assert table_cell(chart, {"rank": None}, "rank") == "—"
