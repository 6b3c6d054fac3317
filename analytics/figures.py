"""Plotly figure JSON without plotly.graph_objects: the subset of its API `analytics.charts` uses.

`plotly.graph_objects` validates every property of every trace on construction; at scale that
cost 45–80 ms per dashboard (a 720-point series × 4–6 charts), more than the SQL. These helpers
build the same JSON directly: traces are dicts with their `type`, None-valued properties are
dropped, `a_b=v` "magic underscore" keywords become `{"a": {"b": v}}` and a string `title` becomes
`{"text": ...}`, as plotly does. `tests/analytics/test_figures.py` checks every dashboard's charts
against `plotly.graph_objects` output.
"""

from __future__ import annotations

import copy

# Keyword prefixes that plotly expands ("xaxis_title" -> xaxis.title); other names are kept whole.
_COMPOUND = ("xaxis", "yaxis", "marker", "line", "legend", "margin", "title", "font")


def _expand(props: dict) -> dict:
    out: dict = {}
    for key, value in props.items():
        if value is None:
            continue
        head, _, rest = key.partition("_")
        if rest and head in _COMPOUND:
            _merge(out, {head: _expand({rest: value})})
        elif isinstance(value, dict):
            _merge(out, {key: _expand(value)})
        else:
            _merge(out, {key: value})
    return _titles(out)


def _titles(props: dict) -> dict:
    for key, value in props.items():
        if key == "title" and isinstance(value, str):
            props[key] = {"text": value}
        elif isinstance(value, dict):
            _titles(value)
    return props


def _merge(target: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.copy(value) if isinstance(value, dict) else value


def _trace(kind: str, props: dict) -> dict:
    return {"type": kind, **_expand(props)}


def Scatter(**props) -> dict:  # noqa: N802 - the plotly names
    return _trace("scatter", props)


def Bar(**props) -> dict:  # noqa: N802
    return _trace("bar", props)


def Histogram(**props) -> dict:  # noqa: N802
    return _trace("histogram", props)


class Figure:
    def __init__(self, data=None):
        if data is None:
            data = []
        self.data: list[dict] = [data] if isinstance(data, dict) else list(data)
        self.layout: dict = {}

    def add_trace(self, trace: dict) -> Figure:
        self.data.append(trace)
        return self

    def update_layout(self, **props) -> Figure:
        _merge(self.layout, _expand(props))
        return self

    def _update_axes(self, prefix: str, props: dict) -> Figure:
        names = [k for k in self.layout if k == prefix or (k.startswith(prefix) and k[len(prefix):].isdigit())]
        for name in names or [prefix]:
            _merge(self.layout.setdefault(name, {}), _expand(props))
        return self

    def update_xaxes(self, **props) -> Figure:
        return self._update_axes("xaxis", props)

    def update_yaxes(self, **props) -> Figure:
        return self._update_axes("yaxis", props)

    def to_plotly_json(self) -> dict:
        return {"data": self.data, "layout": self.layout}
