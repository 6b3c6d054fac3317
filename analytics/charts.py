"""Plotly figures from selector rows. Pure functions: no ORM, no SQL, no request.

Every `Chart` carries the rows it was drawn from and the columns of its CSV download, so the
CSV is exactly the data behind the chart.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder

from analytics import figures as go

PERSONALITY_COLOURS = {
    "aggressive": "#c0392b", "assassin": "#8e44ad", "economic": "#1e8449",
    "diplomat": "#2f6fed", "balanced": "#d68910",
}
# A personality outside the five (raw SQL can write any text): plotly refuses None in a colour list.
OTHER_COLOUR = "#6b7480"


@dataclass
class Chart:
    id: str
    title: str
    rows: list[dict]
    columns: list[str]
    figure: dict | None = None  # Plotly JSON; None for a table
    note: str = ""
    links: dict = field(default_factory=dict)  # column -> URL pattern with {value}

    @property
    def is_table(self) -> bool:
        return self.figure is None

    @property
    def is_time_chart(self) -> bool:
        return self.figure is not None and self.columns[:1] == ["bucket"]

    @property
    def headers(self) -> list[str]:
        """The table's column titles, in words (the CSV keeps the raw column names)."""
        return [column_title(c) for c in self.columns]


# Columns whose generic title ("Npc id", "Llm share") would read badly; the rest are spelled out.
COLUMN_TITLES = {
    "npc_id": "NPC #", "world_id": "World", "name": "NPC", "avg_rank": "Rank", "bucket": "Time",
    "llm_share": "LLM share", "llm_decisions": "LLM decisions", "llm_calls": "LLM calls",
    "latency_p50": "Latency p50 (ms)", "latency_p95": "Latency p95 (ms)", "latency_p99": "Latency p99 (ms)",
    "llm_latency_p50": "LLM latency p50 (ms)", "avg_confidence": "Average confidence",
    "avg_prediction_accuracy": "Average prediction accuracy", "avg_profit_margin": "Average profit margin",
    "production_rate": "Production per hour", "military_power": "Military power", "trust_score": "Trust",
    "relationship_type": "Relationship", "message_type": "Message type", "total_wood_produced": "Total wood produced",
    "trade": "Trade #", "kind": "Event", "label": "What happened",
}
# Ranks are positions: shown (and charted) as whole numbers, never "32.103".
INTEGER_COLUMNS = {"rank", "avg_rank"}


def column_title(column: str) -> str:
    return COLUMN_TITLES.get(column) or column.replace("_", " ").capitalize()


def npc_label(row: dict) -> str:
    """An NPC on an axis: "Name (#id)", so two NPCs of the same name stay two bars."""
    return f"{row.get('name') or 'NPC'} (#{row['npc_id']})"


def _figure(fig: go.Figure, *, y_title: str = "", x_title: str = "") -> dict:
    fig.update_layout(
        margin={"l": 50, "r": 20, "t": 30, "b": 40}, height=340, hovermode="x unified",
        legend={"orientation": "h", "y": -0.3 if x_title else -0.2}, xaxis_title=x_title, yaxis_title=y_title,
    )
    # Labels are never cut: the plot area shrinks to make room for long tick labels (names, types).
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    data = fig.to_plotly_json()
    data["layout"].pop("template", None)  # plotly.js's own default; keeps pages small
    return data


def _names_axis(figure: dict) -> dict:
    """A chart whose x axis is NPC names (long, rotated): the legend above the plot, where the
    labels cannot run into it, and room for the labels below."""
    figure["layout"]["legend"] = {"orientation": "h", "y": 1.02, "yanchor": "bottom"}
    figure["layout"]["height"] = 440
    return figure


_json_default = DjangoJSONEncoder().default


def _col(rows: list[dict], name: str) -> list:
    """A column for a trace. Times are encoded as the page's JSON encoder would (json_script), once
    here instead of through the encoder's Python fallback for every point of every trace on every
    request (~20 ms for the NPC page's 15 traces × 721 hours)."""
    values = [row.get(name) for row in rows]
    if values and isinstance(values[0], datetime.datetime):
        return [_json_default(v) if isinstance(v, datetime.datetime) else v for v in values]
    return values


def _line_chart(chart_id, title, rows, series: dict[str, str], *, y_title="", note="", x="bucket", mode="lines",
                xs: list | None = None):
    """`xs`: the x column already encoded, when several charts of one page share it (a 721-hour
    time axis costs ~4 ms to encode under load, each time)."""
    xs = _col(rows, x) if xs is None else xs
    fig = go.Figure([go.Scatter(x=xs, y=_col(rows, column), name=label, mode=mode)
                     for column, label in series.items()])
    return Chart(chart_id, title, rows, [x, *series], _figure(fig, y_title=y_title), note)


def _bar_series(chart_id, title, rows, series: dict[str, str], *, y_title="", barmode="group", x="bucket"):
    """Counts of events per bucket: bars, since buckets without events are absent, not zero-interpolated."""
    xs = _col(rows, x)
    fig = go.Figure([go.Bar(x=xs, y=_col(rows, column), name=label) for column, label in series.items()])
    fig.update_layout(barmode=barmode)
    return Chart(chart_id, title, rows, [x, *series], _figure(fig, y_title=y_title))


# --- Overview ---------------------------------------------------------------------------------

def overview_charts(series: list[dict], standings: list[dict], *, npc_url: str = "") -> list[Chart]:
    buckets = _col(series, "bucket")
    charts = [
        _line_chart("population", "Population (all NPCs)", series, {"population": "population"},
                    y_title="inhabitants", xs=buckets),
        _line_chart("production", "Resources produced per bucket", series,
                    {"wood_produced": "wood", "clay_produced": "clay", "iron_produced": "iron",
                     "wheat_produced": "wheat"},
                    y_title="resources produced (≈ avg hourly rate × hours)",
                    note="Estimated as the average production rate of each hour × 1 h, summed. The seed's "
                         "total_wood_produced (a sum of rate samples, wood produced only at one sample an "
                         "hour) is in the CSV for comparison.", xs=buckets),
        _line_chart("military", "Military power", series,
                    {"offensive_power": "offensive", "defensive_power": "defensive"}, y_title="power", xs=buckets),
    ]
    charts[1].columns.append("total_wood_produced")
    # No "average rank" line: the mean of the positions 1..N of a world is (N + 1) / 2 whatever happens.
    charts.append(rank_histograms(standings))
    columns = ["npc_id", "name", "personality", "tribe", "world_id", "rank", "population", "production_rate",
               "military_power"]
    links = {"name": npc_url} if npc_url else {}
    charts.append(Chart("top_npcs", "Top NPCs by population", standings[:10], columns, links=links))
    charts.append(Chart("bottom_npcs", "Bottom NPCs by population", list(reversed(standings[-10:])), columns,
                        links=links))
    return charts


def rank_histograms(standings: list[dict]) -> Chart:
    """Rank distribution, one panel per world (a rank is a position within one world), stacked by
    personality; whole-number bins and ticks."""
    worlds = sorted({row.get("world_id") or "" for row in standings if row["rank"] is not None})
    traces = []
    gap = 0.16  # room for the upper panel's axis title
    height = (1 - gap * (len(worlds) - 1)) / max(len(worlds), 1)
    layout: dict = {}
    shown: set[str] = set()
    for index, world in enumerate(worlds):
        axis = "" if index == 0 else str(index + 1)
        by_personality: dict[str, list[int]] = defaultdict(list)
        for row in standings:
            if row["rank"] is not None and (row.get("world_id") or "") == world:
                by_personality[row["personality"] or "unknown"].append(round(row["rank"]))
        top = max((r for ranks in by_personality.values() for r in ranks), default=1)
        size = max(1, math.ceil(top / 30))
        for name, ranks in sorted(by_personality.items()):
            traces.append(go.Histogram(
                x=ranks, name=name, marker_color=PERSONALITY_COLOURS.get(name, OTHER_COLOUR), legendgroup=name,
                showlegend=name not in shown, xaxis=f"x{axis}", yaxis=f"y{axis}", xbins={"start": 0.5, "size": size},
                hovertemplate=f"{world}: rank %{{x}}<br>%{{y}} NPCs<extra>{name}</extra>",
            ))
            shown.add(name)
        top_of_panel = 1 - index * (height + gap)
        layout[f"xaxis{axis}"] = {"anchor": f"y{axis}", "tickformat": "d", "automargin": True,
                                  "title": {"text": f"rank in {world}" if world else "rank"}}
        # Whole-number count ticks a whole step apart ("d" alone labels 0.5 steps "0, 1, 1, 2").
        stacks = defaultdict(int)
        for ranks in by_personality.values():
            for r in ranks:
                stacks[math.ceil((r - 0.5) / size)] += 1
        count_step = max(1, math.ceil(max(stacks.values(), default=1) / 5))
        layout[f"yaxis{axis}"] = {"domain": [max(0.0, top_of_panel - height), top_of_panel], "anchor": f"x{axis}",
                                  "title": {"text": "NPCs"}, "automargin": True, "tickformat": "d",
                                  "dtick": count_step}
    fig = go.Figure(traces)
    fig.update_layout(barmode="stack", hovermode="closest")
    figure = _figure(fig)
    figure["layout"].update(layout)
    figure["layout"]["height"] = max(340, 260 * len(worlds))
    figure["layout"]["legend"] = {"orientation": "h", "y": 1.08}
    return Chart("rank_distribution", "Rank distribution per world (latest hour of each NPC)", standings,
                 ["npc_id", "name", "personality", "world_id", "rank"], figure)


# --- One NPC ----------------------------------------------------------------------------------

def npc_charts(series: list[dict], events: list[dict]) -> list[Chart]:
    buckets = _col(series, "bucket")
    resources = _line_chart("resources", "Resources in stock", series,
                            {"wood": "wood", "clay": "clay", "iron": "iron", "wheat": "wheat"}, y_title="units",
                            xs=buckets)
    production = _line_chart("production", "Production rate (per hour)", series,
                             {"wood_production": "wood", "clay_production": "clay",
                              "iron_production": "iron", "wheat_production": "wheat"}, y_title="per hour",
                             xs=buckets)
    fig = go.Figure([go.Scatter(x=buckets, y=_col(series, c), name=label)
                     for c, label in (("offensive_power", "offensive"), ("defensive_power", "defensive"),
                                      ("total_troops", "troops"))])
    military = Chart("military", "Military power and troops", series,
                     ["bucket", "offensive_power", "defensive_power", "total_troops"], _figure(fig, y_title="power"))
    fig = go.Figure([
        go.Scatter(x=buckets, y=_col(series, "population"), name="population"),
        go.Scatter(x=buckets, y=_col(series, "avg_rank"), name="rank", yaxis="y2"),
    ])
    ranks = [r for r in _col(series, "avg_rank") if r is not None]
    # Whole-number ticks at least 1 apart: "d" alone labels 55.5 as "56" twice.
    rank_step = max(1, math.ceil((max(ranks) - min(ranks)) / 6)) if ranks else 1
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "autorange": "reversed", "title": "rank",
                              "tickformat": "d", "dtick": rank_step, "automargin": True})
    standing = Chart("standing", "Population and rank", series, ["bucket", "population", "avg_rank"],
                     _figure(fig, y_title="population"))
    standing.figure["layout"]["margin"]["r"] = 70  # room for the rank axis
    produced = _line_chart(
        "wood_produced", "Wood produced vs the seed's total_wood_produced", series,
        {"wood_produced": "wood produced (≈ avg rate × hours)", "total_wood_produced": "total_wood_produced (seed)"},
        y_title="wood",
        note="total_wood_produced sums every production-rate sample of an hour: it equals wood produced only "
             "when there is exactly one sample an hour (seed flaw 8).", xs=buckets)
    events_table = Chart("events", "Timeline events", events, ["time", "kind", "label", "value"])
    return [standing, resources, production, military, produced, events_table]


# --- Decisions --------------------------------------------------------------------------------

def decision_charts(by_type: list[dict], series: list[dict], per_npc: list[dict]) -> list[Chart]:
    types = [str(t).replace("_", " ") for t in _col(by_type, "decision_type")]
    fig = go.Figure([
        go.Bar(x=types, y=[r["llm_decisions"] for r in by_type], name="LLM"),
        go.Bar(x=types, y=[r["decisions"] - r["llm_decisions"] for r in by_type], name="rule-based"),
    ])
    fig.update_layout(barmode="stack")
    share = Chart("llm_share", "Decisions by type: LLM vs rule-based", by_type,
                  ["decision_type", "decisions", "llm_decisions", "llm_share"], _figure(fig, y_title="decisions"))
    fig = go.Figure([go.Bar(x=types, y=_col(by_type, f"latency_{p}"), name=p) for p in ("p50", "p95", "p99")])
    latency = Chart("latency", "Decision latency percentiles (ms)", by_type,
                    ["decision_type", "latency_p50", "latency_p95", "latency_p99", "llm_latency_p50"],
                    _figure(fig, y_title="ms"))
    fig = go.Figure([
        go.Bar(x=types, y=_col(by_type, "avg_confidence"), name="average confidence"),
        go.Bar(x=types, y=_col(by_type, "success_rate"), name="success rate (measured outcomes)"),
    ])
    fig.update_yaxes(range=[0, 1])
    quality = Chart("quality", "Confidence and success rate", by_type,
                    ["decision_type", "avg_confidence", "measured", "success_rate"], _figure(fig, y_title="0 – 1"))
    volume = _bar_series("volume", "Decisions over time", series, {"llm": "LLM", "rule": "rule-based"},
                         y_title="decisions", barmode="stack")
    fig = go.Figure(go.Bar(x=[npc_label(r) for r in per_npc], y=_col(per_npc, "llm_calls"), name="LLM calls",
                           marker_color=[PERSONALITY_COLOURS.get(r["personality"], OTHER_COLOUR) for r in per_npc]))
    calls = Chart("llm_calls", "LLM calls per NPC (top 25)", per_npc,
                  ["npc_id", "name", "personality", "llm_calls", "decisions"],
                  _names_axis(_figure(fig, y_title="LLM calls")))
    return [share, latency, quality, volume, calls]


# --- Battles ----------------------------------------------------------------------------------

def _by_personality(rows: list[dict], value: str, weight: str) -> dict[str, float | None]:
    """Weighted mean of `value` per personality over its tribes."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        if row[value] is not None and row[weight]:
            totals[row["personality"]][0] += row[value] * row[weight]
            totals[row["personality"]][1] += row[weight]
    return {k: (s / w if w else None) for k, (s, w) in sorted(totals.items())}


def battle_charts(stats: list[dict], series: list[dict]) -> list[Chart]:
    tribes = sorted({r["tribe"] for r in stats})
    personalities = sorted({r["personality"] for r in stats})
    lookup = {(r["personality"], r["tribe"]): r for r in stats}
    fig = go.Figure([go.Bar(x=personalities, y=[(lookup.get((p, t)) or {}).get("win_rate") for p in personalities],
                            name=t) for t in tribes])
    fig.update_yaxes(range=[0, 1])
    win = Chart("win_rate", "Win rate by personality and tribe", stats,
                ["personality", "tribe", "battles", "victories", "win_rate"], _figure(fig, y_title="win rate"))
    accuracy = _by_personality(stats, "avg_prediction_accuracy", "battles")
    hits = _by_personality(stats, "prediction_hit_rate", "battles")
    fig = go.Figure([go.Bar(x=list(accuracy), y=list(accuracy.values()), name="average prediction accuracy"),
                     go.Bar(x=list(hits), y=list(hits.values()), name="predicted result came true")])
    fig.update_yaxes(range=[0, 1])
    prediction = Chart("prediction", "Prediction accuracy by personality", stats,
                       ["personality", "tribe", "battles", "avg_prediction_accuracy", "prediction_hit_rate"],
                       _figure(fig, y_title="0 – 1"))
    resources = _bar_series("resources", "Resources gained vs lost in battle", series,
                            {"resources_gained": "gained", "resources_lost": "lost"}, y_title="resources")
    return [win, prediction, resources]


# --- Economy ----------------------------------------------------------------------------------

def economy_charts(series: list[dict], rates: list[dict], by_personality: list[dict],
                   by_npc: list[dict]) -> list[Chart]:
    statuses = sorted({r["status"] for r in series})
    fig = go.Figure([go.Bar(x=[r["bucket"] for r in series if r["status"] == s],
                            y=[r["trades"] for r in series if r["status"] == s], name=s) for s in statuses])
    fig.update_layout(barmode="stack")
    trades = Chart("trades", "Trades over time by status", series, ["bucket", "status", "trades"],
                   _figure(fig, y_title="trades"))
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rates:
        groups[row["personality"] or "unknown"].append(row)
    fig = go.Figure([go.Scatter(x=_col(rows, "market_rate"), y=_col(rows, "exchange_rate"), mode="markers",
                                name=name, marker={"color": PERSONALITY_COLOURS.get(name), "size": 6, "opacity": .6})
                     for name, rows in sorted(groups.items())])
    finite = [v for r in rates for v in (r["market_rate"], r["exchange_rate"]) if v is not None and math.isfinite(v)]
    if finite:
        low, high = min(finite), max(finite)
        fig.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines", name="at market rate",
                                 line={"dash": "dot", "color": "#6b7480"}))
    fig.update_layout(hovermode="closest")
    scatter = Chart("rates", "Exchange rate vs market rate (latest 2000 trades)", rates,
                    ["trade", "npc_id", "personality", "offered_resource", "requested_resource",
                     "exchange_rate", "market_rate", "profit_margin"],
                    _figure(fig, x_title="market rate", y_title="exchange rate"),
                    note="Above the dotted line the NPC got more than the market rate.")
    fig = go.Figure(go.Bar(x=_col(by_personality, "personality"), y=_col(by_personality, "avg_profit_margin"),
                           marker_color=[PERSONALITY_COLOURS.get(p, OTHER_COLOUR)
                                         for p in _col(by_personality, "personality")]))
    personality = Chart("margin_personality", "Average profit margin by personality", by_personality,
                        ["personality", "trades", "avg_profit_margin", "offered"],
                        _figure(fig, y_title="profit margin"))
    fig = go.Figure([go.Bar(x=[npc_label(r) for r in by_npc if r["side"] == side],
                            y=[r["avg_profit_margin"] for r in by_npc if r["side"] == side], name=side)
                     for side in ("best", "worst")])
    npc = Chart("margin_npc", "Profit margin by NPC (best and worst 20)", by_npc,
                ["side", "npc_id", "name", "personality", "trades", "avg_profit_margin"],
                _names_axis(_figure(fig, y_title="profit margin")))
    return [trades, scatter, personality, npc]


# --- Diplomacy --------------------------------------------------------------------------------

RELATION_COLOURS = {
    "ally": "#1e8449", "trading_partner": "#2f6fed", "neutral": "#8a93a3", "vassal": "#d68910",
    "overlord": "#8e44ad", "enemy": "#c0392b",
}
GRAPH_LABELS = 15  # in the world view only the best-connected nodes carry a label (hover names the rest)


def graph_layout(graph: dict) -> dict:
    """Positions. World view: one circle per alliance (NPCs without one together), circles on a
    ring sized by how many there are, other players on an outer ring. Neighbourhood view (`focus`):
    the NPC in the middle, its contacts around it grouped by relationship type."""
    positions: dict[str, tuple[float, float]] = {}
    focus = graph.get("focus")
    if focus:
        positions[f"npc:{focus}"] = (0.0, 0.0)
        contacts = []
        for edge in sorted(graph["edges"], key=lambda e: (e["relationship_type"] or "", -e["trust_score"])):
            other = _edge_ends(edge)
            other = other[1] if other[0] == f"npc:{focus}" else other[0]
            if other not in contacts and other != f"npc:{focus}":
                contacts.append(other)
        for index, node in enumerate(contacts):
            a = 2 * math.pi * index / max(len(contacts), 1)
            positions[node] = (math.cos(a), math.sin(a))
        return {"positions": positions, "clusters": {}}
    clusters: dict[str, list[dict]] = defaultdict(list)
    for npc in graph["npcs"]:
        fallback = f"alliance #{npc['alliance_id']}" if npc["alliance_id"] else "no alliance"
        clusters[f"{npc['alliance']} (#{npc['alliance_id']})" if npc["alliance"] else fallback].append(npc)
    names = sorted(clusters)
    largest = max((len(m) for m in clusters.values()), default=1)
    cluster_radius = 0.6 + 0.25 * math.sqrt(largest)
    # Circles far enough apart not to overlap (labels included), whatever their number.
    ring = max(5.0, len(names) * cluster_radius * 3.0 / (2 * math.pi)) if len(names) > 1 else 0.0
    for index, name in enumerate(names):
        angle = 2 * math.pi * index / max(len(names), 1)
        cx, cy = ring * math.cos(angle), ring * math.sin(angle)
        members = clusters[name]
        radius = 0.6 + 0.25 * math.sqrt(len(members))
        for j, npc in enumerate(members):
            a = 2 * math.pi * j / max(len(members), 1)
            positions[f"npc:{npc['npc_id']}"] = (cx + radius * math.cos(a), cy + radius * math.sin(a))
    players = graph["players"]
    outer = ring + cluster_radius + 2.5
    for index, player in enumerate(players):
        a = 2 * math.pi * index / max(len(players), 1)
        positions[f"player:{player}"] = (outer * math.cos(a), outer * math.sin(a))
    return {"positions": positions, "clusters": {name: [n["npc_id"] for n in m] for name, m in clusters.items()}}


def _edge_ends(edge: dict) -> tuple[str, str]:
    target = f"npc:{edge['target_npc']}" if edge["target_npc"] else f"player:{edge['target_player_id']}"
    return f"npc:{edge['source_npc']}", target


def diplomacy_charts(messages: list[dict], graph: dict) -> list[Chart]:
    types = [str(t).replace("_", " ") for t in _col(messages, "message_type")]  # "trade offer", not trade_offer
    fig = go.Figure(go.Bar(x=types, y=_col(messages, "sent"), name="sent"))
    sent = Chart("messages", "Messages by type", messages, ["message_type", "sent"], _figure(fig, y_title="messages"))
    fig = go.Figure([go.Bar(x=types, y=_col(messages, c), name=label)
                     for c, label in (("response_rate", "response rate"), ("positive_rate", "positive responses"),
                                      ("success_rate", "objective achieved"))])
    fig.update_yaxes(range=[0, 1])
    rates = Chart("message_rates", "Response and success rates by message type", messages,
                  ["message_type", "sent", "response_rate", "positive_rate", "success_rate"],
                  _figure(fig, y_title="share"))
    return [sent, rates, relationship_chart(graph)]


def relationship_chart(graph: dict) -> Chart:
    """The relationship graph: labelled nodes ("Name (#id)", "player #id"), edges coloured by
    relationship type (one legend entry each, so a click hides a type), wider with |trust|."""
    layout = graph_layout(graph)
    positions = layout["positions"]
    focus = graph.get("focus")
    npcs = {n["npc_id"]: n for n in graph["npcs"]}

    def label(node: str) -> str:
        kind, _, ident = node.partition(":")
        if kind == "npc" and int(ident) in npcs:
            return f"{npcs[int(ident)]['name']} (#{ident})"
        return f"player #{ident}" if kind == "player" else f"NPC #{ident}"

    degree: dict[str, int] = defaultdict(int)
    by_type: dict[str, list[dict]] = defaultdict(list)
    edge_rows = []
    for edge in graph["edges"]:
        source, target = _edge_ends(edge)
        if source not in positions or target not in positions:
            continue
        degree[source] += 1
        degree[target] += 1
        by_type[edge["relationship_type"] or "unknown"].append(edge)
        edge_rows.append({"source": label(source), "target": label(target), "trust_score": edge["trust_score"],
                          "relationship_type": edge["relationship_type"]})
    traces = []
    in_legend: set[str] = set()
    for kind in sorted(by_type, key=lambda k: list(RELATION_COLOURS).index(k) if k in RELATION_COLOURS else 99):
        # Width bands by |trust| (plotly draws one width per trace): weak, medium, strong.
        for low, high, width in ((0, 34, 1.0), (34, 67, 2.2), (67, 101, 3.6)):
            xs, ys = [], []
            for edge in by_type[kind]:
                if low <= abs(edge["trust_score"]) < high:
                    (x0, y0), (x1, y1) = (positions[n] for n in _edge_ends(edge))
                    xs += [x0, x1, None]
                    ys += [y0, y1, None]
            if xs:
                traces.append(go.Scatter(
                    x=xs, y=ys, mode="lines", name=kind.replace("_", " "), legendgroup=kind, hoverinfo="skip",
                    showlegend=kind not in in_legend, opacity=0.75,
                    line={"color": RELATION_COLOURS.get(kind, OTHER_COLOUR), "width": width}))
                in_legend.add(kind)
    shown = {n for n in degree} | ({f"npc:{focus}"} if focus else set())
    ranked = sorted(shown, key=lambda n: (-degree[n], n))
    labelled = set(ranked) if focus else set(ranked[:GRAPH_LABELS])
    groups: dict[str, list[str]] = defaultdict(list)
    for node in ranked:
        if node.startswith("player:"):
            groups["other players"].append(node)
        else:
            npc = npcs.get(int(node.partition(":")[2]), {})
            alliance = (f"{npc['alliance']} (#{npc['alliance_id']})" if npc.get("alliance")
                        else f"alliance #{npc['alliance_id']}" if npc.get("alliance_id") else "no alliance")
            groups[alliance].append(node)
    for group, nodes in sorted(groups.items(), key=lambda g: (g[0] == "other players", g[0])):
        nodes = sorted(nodes)
        traces.append(go.Scatter(
            x=[positions[n][0] for n in nodes], y=[positions[n][1] for n in nodes], mode="markers+text",
            name=group, text=[label(n) if n in labelled else "" for n in nodes], textposition="top center",
            textfont={"size": 11}, hovertext=[f"{label(n)} · {degree[n]} relationships" for n in nodes],
            hovertemplate="%{hovertext}<extra>" + group + "</extra>",
            marker={"size": [22 if n == f"npc:{focus}" else min(8 + 2 * degree[n], 20) for n in nodes],
                    "symbol": "square" if group == "other players" else "circle",
                    "line": {"width": 1, "color": "#fff"}},
        ))
    fig = go.Figure(traces)
    fig.update_layout(hovermode="closest")
    # Room around the outermost nodes so their labels are never cut at the plot's edge.
    xs = [positions[n][0] for n in shown] or [0.0]
    ys = [positions[n][1] for n in shown] or [0.0]
    pad_x = 0.18 * (max(xs) - min(xs)) + 1.0
    pad_y = 0.06 * (max(ys) - min(ys)) + 0.5
    fig.update_xaxes(visible=False, range=[min(xs) - pad_x, max(xs) + pad_x])
    fig.update_yaxes(visible=False, scaleanchor="x", range=[min(ys) - pad_y, max(ys) + pad_y])
    figure = _figure(fig)
    figure["layout"]["height"] = 640 if focus else 820
    figure["layout"]["legend"] = {"orientation": "v", "x": 1.0, "xanchor": "left", "y": 1}
    figure["layout"]["margin"] = {"l": 10, "r": 10, "t": 10, "b": 10}
    title = (f"Neighbourhood of {label(f'npc:{focus}')}" if focus
             else "Relationship graph (current relationships; alliances grouped)")
    note = ("Edge colour: relationship type; width: |trust| (weak < 34, medium < 67, strong). "
            "Click a legend entry to hide a type or an alliance. ")
    note += ("Every contact is labelled." if focus else
             f"Labels on the {GRAPH_LABELS} best-connected nodes (hover names the others); set an NPC for its "
             "neighbourhood, or narrow by alliance, type, |trust| or the top N NPCs.")
    return Chart("relationships", title, edge_rows, ["source", "target", "trust_score", "relationship_type"],
                 figure, note=note)


ANNOTATION_STYLE = {  # kind -> (legend label, marker symbol, colour)
    "battle": ("battles", "x", "#c0392b"),
    "treaty": ("treaties", "diamond", "#2f6fed"),
    "alliance": ("alliance events", "triangle-up", "#1e8449"),
    "template": ("template changes", "star", "#d68910"),
    "strategy": ("strategy changes", "square", "#8e44ad"),
}
ANNOTATION_AXIS = "y9"  # an invisible 0–1 axis over the plot: markers sit at its top whatever the data


def annotation_text(row: dict) -> str:
    label = ANNOTATION_STYLE.get(row["kind"], (row["kind"],))[0]
    return row["label"] if row["events"] == 1 and row.get("label") else f"{row['events']} {label}"


def annotate(charts: list[Chart], events: list[dict]) -> list[Chart]:
    """Mark events on every time chart: per kind a dotted vertical line and a marker at the top,
    with the event (or the count of a slot's events) on hover. Each kind is one legend entry, so
    a click hides it like any series; and a table of the same rows (its CSV) ends the page."""
    if not events:
        return charts
    traces = []
    for kind, (label, symbol, colour) in ANNOTATION_STYLE.items():
        mine = [e for e in events if e["kind"] == kind]
        if not mine:
            continue
        times = _col(mine, "time")
        lines_x, lines_y = [], []
        for t in times:
            lines_x += [t, t, None]
            lines_y += [0, 1, None]
        group = f"events:{kind}"
        traces.append({"type": "scatter", "x": lines_x, "y": lines_y, "mode": "lines", "yaxis": ANNOTATION_AXIS,
                       "line": {"color": colour, "width": 1, "dash": "dot"}, "opacity": 0.8, "hoverinfo": "skip",
                       "legendgroup": group, "showlegend": False, "name": label})
        traces.append({"type": "scatter", "x": times, "y": [1] * len(mine), "mode": "markers",
                       "yaxis": ANNOTATION_AXIS, "name": f"⚑ {label}", "legendgroup": group,
                       "marker": {"symbol": symbol, "size": 9, "color": colour},
                       "text": [annotation_text(e) for e in mine], "hovertemplate": "%{text}<extra></extra>",
                       "meta": "annotation"})
    for chart in charts:
        if chart.figure is None or not chart.columns or chart.columns[0] != "bucket":
            continue
        chart.figure["data"].extend(dict(t) for t in traces)
        chart.figure["layout"]["yaxis9"] = {"overlaying": "y", "range": [0, 1.02], "visible": False,
                                            "fixedrange": True}
    if any(c.id == "events" for c in charts):
        return charts  # the one-NPC board lists every event already (with its value)
    charts.append(Chart("annotations", "Events on the time axis", events, ["time", "kind", "events", "label"],
                        note="Battles, treaties, alliance events and template changes in this range; a row with "
                             "several events is one slot of the time axis (1/30 of the range)."))
    return charts


def fit_time_range(charts: list[Chart], start, end, bucket_ms: float) -> list[Chart]:
    """Show the whole chosen range on every time chart, and give event bars their bucket's width.

    Without this a single bucket of data is drawn on a millisecond-wide axis.
    """
    for chart in charts:
        if chart.figure is None or not chart.columns or chart.columns[0] != "bucket":
            continue
        chart.figure["layout"].setdefault("xaxis", {})["range"] = [start.isoformat(), end.isoformat()]
        for trace in chart.figure["data"]:
            if trace.get("type") == "bar":
                trace["width"] = bucket_ms * 0.9
                trace["xperiod"] = bucket_ms
                trace["xperiodalignment"] = "start"
    return charts
