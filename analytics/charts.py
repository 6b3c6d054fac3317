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


_json_default = DjangoJSONEncoder().default


def _col(rows: list[dict], name: str) -> list:
    """A column for a trace. Times are encoded as the page's JSON encoder would (json_script), once
    here instead of through the encoder's Python fallback for every point of every trace on every
    request (~20 ms for the NPC page's 15 traces × 721 hours)."""
    values = [row.get(name) for row in rows]
    if values and isinstance(values[0], datetime.datetime):
        return [_json_default(v) if isinstance(v, datetime.datetime) else v for v in values]
    return values


def _line_chart(chart_id, title, rows, series: dict[str, str], *, y_title="", note="", x="bucket", mode="lines"):
    xs = _col(rows, x)
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
    charts = [
        _line_chart("population", "Population (all NPCs)", series, {"population": "population"},
                    y_title="inhabitants"),
        _line_chart("production", "Resources produced per bucket", series,
                    {"wood_produced": "wood", "clay_produced": "clay", "iron_produced": "iron",
                     "wheat_produced": "wheat"},
                    y_title="resources produced (≈ avg hourly rate × hours)",
                    note="Estimated as the average production rate of each hour × 1 h, summed. The seed's "
                         "total_wood_produced (a sum of rate samples, wood produced only at one sample an "
                         "hour) is in the CSV for comparison."),
        _line_chart("military", "Military power", series,
                    {"offensive_power": "offensive", "defensive_power": "defensive"}, y_title="power"),
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
    gap = 0.08
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
        layout[f"yaxis{axis}"] = {"domain": [max(0.0, top_of_panel - height), top_of_panel], "anchor": f"x{axis}",
                                  "title": {"text": "NPCs"}, "automargin": True, "tickformat": "d"}
    fig = go.Figure(traces)
    fig.update_layout(barmode="stack", hovermode="closest")
    figure = _figure(fig)
    figure["layout"].update(layout)
    figure["layout"]["height"] = max(340, 260 * len(worlds))
    figure["layout"]["legend"] = {"orientation": "h", "y": 1.08}
    return Chart("rank_distribution", "Rank distribution per world (latest hour of each NPC)", standings,
                 ["npc_id", "name", "personality", "world_id", "rank"], figure)


# --- One NPC ----------------------------------------------------------------------------------

EVENT_STYLE = {
    "battle": ("battles", "x", "#c0392b"),
    "treaty": ("treaties", "diamond", "#2f6fed"),
    "strategy": ("strategy changes", "star", "#d68910"),
}


def _with_events(fig: go.Figure, events: list[dict], y_values: list) -> None:
    """Event markers along the bottom of a time chart (hover shows what happened)."""
    finite = [v for v in y_values if v is not None]
    base = min(finite) if finite else 0
    for kind, (label, symbol, colour) in EVENT_STYLE.items():
        mine = [e for e in events if e["kind"] == kind]
        if mine:
            fig.add_trace(go.Scatter(
                x=[e["time"] for e in mine], y=[base] * len(mine), mode="markers", name=label,
                marker={"symbol": symbol, "size": 11, "color": colour}, text=[e["label"] for e in mine],
                hovertemplate="%{text}<extra></extra>",
            ))


def npc_charts(series: list[dict], events: list[dict]) -> list[Chart]:
    resources = _line_chart("resources", "Resources in stock", series,
                            {"wood": "wood", "clay": "clay", "iron": "iron", "wheat": "wheat"}, y_title="units")
    production = _line_chart("production", "Production rate (per hour)", series,
                             {"wood_production": "wood", "clay_production": "clay",
                              "iron_production": "iron", "wheat_production": "wheat"}, y_title="per hour")
    buckets = _col(series, "bucket")
    fig = go.Figure([go.Scatter(x=buckets, y=_col(series, c), name=label)
                     for c, label in (("offensive_power", "offensive"), ("defensive_power", "defensive"),
                                      ("total_troops", "troops"))])
    _with_events(fig, events, _col(series, "defensive_power"))
    military = Chart("military", "Military, with battles, treaties and strategy changes", series,
                     ["bucket", "offensive_power", "defensive_power", "total_troops"], _figure(fig, y_title="power"))
    fig = go.Figure([
        go.Scatter(x=buckets, y=_col(series, "population"), name="population"),
        go.Scatter(x=buckets, y=_col(series, "avg_rank"), name="rank", yaxis="y2"),
    ])
    _with_events(fig, events, _col(series, "population"))
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "autorange": "reversed", "title": "rank",
                              "tickformat": "d", "automargin": True})
    standing = Chart("standing", "Population and rank", series, ["bucket", "population", "avg_rank"],
                     _figure(fig, y_title="population"))
    standing.figure["layout"]["margin"]["r"] = 70  # room for the rank axis
    produced = _line_chart(
        "wood_produced", "Wood produced vs the seed's total_wood_produced", series,
        {"wood_produced": "wood produced (≈ avg rate × hours)", "total_wood_produced": "total_wood_produced (seed)"},
        y_title="wood",
        note="total_wood_produced sums every production-rate sample of an hour: it equals wood produced only "
             "when there is exactly one sample an hour (seed flaw 8).")
    events_table = Chart("events", "Timeline events", events, ["time", "kind", "label", "value"])
    return [standing, resources, production, military, produced, events_table]


# --- Decisions --------------------------------------------------------------------------------

def decision_charts(by_type: list[dict], series: list[dict], per_npc: list[dict]) -> list[Chart]:
    types = _col(by_type, "decision_type")
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
    fig = go.Figure(go.Bar(x=_col(per_npc, "name"), y=_col(per_npc, "llm_calls"), name="LLM calls",
                           marker_color=[PERSONALITY_COLOURS.get(r["personality"], OTHER_COLOUR) for r in per_npc]))
    calls = Chart("llm_calls", "LLM calls per NPC (top 25)", per_npc,
                  ["npc_id", "name", "personality", "llm_calls", "decisions"], _figure(fig, y_title="LLM calls"))
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
    fig = go.Figure([go.Bar(x=list(accuracy), y=list(accuracy.values()), name="avg prediction_accuracy"),
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
    fig = go.Figure([go.Bar(x=[r["name"] for r in by_npc if r["side"] == side],
                            y=[r["avg_profit_margin"] for r in by_npc if r["side"] == side], name=side)
                     for side in ("best", "worst")])
    npc = Chart("margin_npc", "Profit margin by NPC (best and worst 20)", by_npc,
                ["side", "npc_id", "name", "personality", "trades", "avg_profit_margin"],
                _figure(fig, y_title="profit margin"))
    return [trades, scatter, personality, npc]


# --- Diplomacy --------------------------------------------------------------------------------

def _trust_colour(trust: int) -> str:
    """Red (-100) through grey (0) to green (100)."""
    t = max(-100, min(100, trust)) / 100
    if t < 0:
        return f"rgb({int(150 + 90 * -t)},{int(150 - 100 * -t)},{int(150 - 100 * -t)})"
    return f"rgb({int(150 - 120 * t)},{int(150 + 40 * t)},{int(150 - 90 * t)})"


def graph_layout(graph: dict) -> dict:
    """Positions: one circle per alliance (NPCs without one together), players on an outer ring."""
    clusters: dict[str, list[dict]] = defaultdict(list)
    for npc in graph["npcs"]:
        fallback = f"alliance {npc['alliance_id']}" if npc["alliance_id"] else "no alliance"
        clusters[npc["alliance"] or fallback].append(npc)
    positions: dict[str, tuple[float, float]] = {}
    names = sorted(clusters)
    ring = 4.0 if len(names) > 1 else 0.0
    for index, name in enumerate(names):
        angle = 2 * math.pi * index / max(len(names), 1)
        cx, cy = ring * math.cos(angle), ring * math.sin(angle)
        members = clusters[name]
        radius = 0.3 + 0.12 * math.sqrt(len(members))
        for j, npc in enumerate(members):
            a = 2 * math.pi * j / max(len(members), 1)
            positions[f"npc:{npc['npc_id']}"] = (cx + radius * math.cos(a), cy + radius * math.sin(a))
    players = graph["players"]
    for index, player in enumerate(players):
        a = 2 * math.pi * index / max(len(players), 1)
        positions[f"player:{player}"] = (7.5 * math.cos(a), 7.5 * math.sin(a))
    return {"positions": positions, "clusters": {name: [n["npc_id"] for n in m] for name, m in clusters.items()}}


def diplomacy_charts(messages: list[dict], graph: dict) -> list[Chart]:
    types = _col(messages, "message_type")
    fig = go.Figure(go.Bar(x=types, y=_col(messages, "sent"), name="sent"))
    sent = Chart("messages", "Messages by type", messages, ["message_type", "sent"], _figure(fig, y_title="messages"))
    fig = go.Figure([go.Bar(x=types, y=_col(messages, c), name=label)
                     for c, label in (("response_rate", "response rate"), ("positive_rate", "positive responses"),
                                      ("success_rate", "objective achieved"))])
    fig.update_yaxes(range=[0, 1])
    rates = Chart("message_rates", "Response and success rates by message type", messages,
                  ["message_type", "sent", "response_rate", "positive_rate", "success_rate"],
                  _figure(fig, y_title="share"))
    layout = graph_layout(graph)
    positions = layout["positions"]
    names = {n["npc_id"]: n["name"] for n in graph["npcs"]}
    # Edges in trust bands of 20: one trace per band (None breaks the line) instead of one per edge.
    bands: dict[int, dict[str, list]] = defaultdict(lambda: {"x": [], "y": []})
    edge_rows = []
    for edge in graph["edges"]:
        source = f"npc:{edge['source_npc']}"
        target = f"npc:{edge['target_npc']}" if edge["target_npc"] else f"player:{edge['target_player_id']}"
        if source not in positions or target not in positions:
            continue
        (x0, y0), (x1, y1) = positions[source], positions[target]
        band = bands[max(-100, min(80, edge["trust_score"] // 20 * 20))]
        band["x"] += [x0, x1, None]
        band["y"] += [y0, y1, None]
        edge_rows.append({"source": names.get(edge["source_npc"], source),
                          "target": names.get(edge["target_npc"], target), "trust_score": edge["trust_score"],
                          "relationship_type": edge["relationship_type"]})
    traces = [
        go.Scatter(x=band["x"], y=band["y"], mode="lines", name=f"trust {low} to {low + 20}", hoverinfo="skip",
                   line={"color": _trust_colour(low + 10), "width": 1 + abs(low + 10) / 40}, legendgroup="trust")
        for low, band in sorted(bands.items())
    ]
    for cluster, members in sorted(layout["clusters"].items()):
        points = [positions[f"npc:{m}"] for m in members]
        nodes = [n for n in graph["npcs"] if n["npc_id"] in set(members)]
        traces.append(go.Scatter(
            x=[p[0] for p in points], y=[p[1] for p in points], mode="markers", name=cluster,
            marker={"size": 12, "line": {"width": 1, "color": "#fff"}},
            text=[f"{n['name']} ({n['personality']})" for n in nodes], hovertemplate="%{text}<extra></extra>",
        ))
    if graph["players"]:
        points = [positions[f"player:{p}"] for p in graph["players"]]
        traces.append(go.Scatter(
            x=[p[0] for p in points], y=[p[1] for p in points], mode="markers", name="players",
            marker={"size": 8, "symbol": "square", "color": "#6b7480"},
            text=[f"player #{p}" for p in graph["players"]], hovertemplate="%{text}<extra></extra>",
        ))
    fig = go.Figure(traces)
    fig.update_layout(hovermode="closest", height=620)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    figure = _figure(fig)
    figure["layout"]["height"] = 620
    network = Chart("relationships", "Relationship graph (current trust; alliances grouped)", edge_rows,
                    ["source", "target", "trust_score", "relationship_type"], figure,
                    note="Edge colour: red = distrust, green = trust; width grows with |trust|. "
                         "Click a legend entry to hide an alliance.")
    return [sent, rates, network]


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
