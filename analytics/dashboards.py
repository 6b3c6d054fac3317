"""The dashboards: for each, its title, extra filters, the selectors it reads and the charts it draws.

`load` runs the selectors (cached in Redis by `analytics.cache`); `draw` turns that data into
charts. Views and the CSV download share both, so a CSV is the data of the chart on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.conf import settings

from analytics import charts, decisions_rollup, selectors
from analytics.filters import DashboardFilters
from npcs.choices import RelationshipType


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: str
    load: Callable[[DashboardFilters], dict]
    draw: Callable[[dict, dict], list[charts.Chart]]
    needs_npc: bool = False
    needs_world: bool = False
    extra_fields: Callable[[], dict[str, forms.Field]] = field(default=lambda: {})
    description: str = ""


def _overview(filters):
    return {"series": selectors.metric_series(filters), "standings": selectors.latest_standings(filters)}


def _npc(filters):
    return {"series": selectors.metric_series(filters), "events": selectors.npc_timeline_events(filters)}


def _decisions(filters):
    # Hourly rollup plus the raw log for the hours it does not hold (analytics/decisions_rollup.py);
    # ?exact=1 sorts the raw rows for exact percentiles (meant for a narrow range).
    exact = filters.get("exact") == "1"
    return {"by_type": decisions_rollup.decision_stats_by_type(filters, exact=exact),
            "series": decisions_rollup.decision_series(filters),
            "per_npc": decisions_rollup.llm_calls_per_npc(filters)}


def _battles(filters):
    return {"stats": selectors.battle_stats(filters), "series": selectors.battle_series(filters)}


def _economy(filters):
    return {"series": selectors.trade_series(filters), "rates": selectors.trade_rates(filters),
            "by_personality": selectors.profit_by(filters, group="personality"),
            "by_npc": selectors.profit_by(filters, group="npc")}


def _diplomacy(filters):
    return {"messages": selectors.message_stats(filters), "graph": selectors.relationship_graph(filters)}


def _decisions_fields():
    return {"exact": forms.ChoiceField(required=False, label="Percentiles", choices=[
        ("", "±5 % (hourly rollup)"), ("1", "exact (sorts every row: for a narrow range)")])}


def _diplomacy_fields():
    return {
        "relationship_type": forms.ChoiceField(required=False, label="Relationship",
                                               choices=[("", "All types"), *RelationshipType.choices]),
        "min_trust": forms.IntegerField(required=False, min_value=0, max_value=100, label="|trust| ≥"),
        "alliance": forms.IntegerField(required=False, label="Alliance #",
                                       help_text="either end of the relationship in this alliance (its world id)"),
        "top": forms.IntegerField(required=False, min_value=1, max_value=400, label="Top NPCs",
                                  help_text="keep the N NPCs with the most relationships (default 40)"),
        "players": forms.ChoiceField(required=False, label="Other players", choices=[
            ("", "hidden (NPC to NPC)"), ("1", "shown")]),
    }


DASHBOARDS = {
    d.slug: d for d in (
        Dashboard("overview", "World overview", _overview,
                  lambda data, ctx: charts.overview_charts(data["series"], data["standings"],
                                                           npc_url=ctx.get("npc_url", "")),
                  description="Population, production, military and rank of every NPC over time."),
        Dashboard("npc", "One NPC", _npc, lambda data, ctx: charts.npc_charts(data["series"], data["events"]),
                  needs_npc=True,
                  description="An NPC's economy, army and standing, with battles, treaties and strategy changes."),
        Dashboard("decisions", "Decisions", _decisions,
                  lambda data, ctx: charts.decision_charts(data["by_type"], data["series"], data["per_npc"]),
                  extra_fields=_decisions_fields,
                  description="LLM vs rule-based, latency percentiles, confidence and measured success."),
        Dashboard("battles", "Battles", _battles,
                  lambda data, ctx: charts.battle_charts(data["stats"], data["series"]),
                  description="Win rates, prediction accuracy, resources gained and lost."),
        Dashboard("economy", "Economy", _economy,
                  lambda data, ctx: charts.economy_charts(data["series"], data["rates"], data["by_personality"],
                                                          data["by_npc"]),
                  description="Trades, exchange rates against the market and profit margins."),
        Dashboard("diplomacy", "Diplomacy", _diplomacy,
                  lambda data, ctx: charts.diplomacy_charts(data["messages"], data["graph"]),
                  needs_world=True, extra_fields=_diplomacy_fields,
                  description="Messages and their outcomes; the relationship graph of a world."),
    )
}


def draw(board: Dashboard, filters: DashboardFilters, context: dict) -> list[charts.Chart]:
    """Load the board's data and draw it, every time axis spanning the chosen range and carrying
    the range's events (battles, treaties, alliance events, template changes) as annotations."""
    time_range = filters.time_range
    drawn = board.draw(board.load(filters), context)
    if any(c.figure is not None and c.columns[:1] == ["bucket"] for c in drawn):
        drawn = charts.annotate(drawn, selectors.annotations(filters))
    return charts.fit_time_range(drawn, time_range.start, time_range.end,
                                 time_range.event_bucket.total_seconds() * 1000)


def default_world() -> str:
    return settings.NPCADMIN_WORLDS[0]
