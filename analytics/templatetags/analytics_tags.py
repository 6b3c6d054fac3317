"""Template helpers of the dashboards: table cells (numbers formatted, NPC names linked)."""

from __future__ import annotations

import datetime

from django import template
from django.utils.html import format_html, json_script

register = template.Library()


@register.simple_tag
def table_cell(chart, row: dict, column: str):
    value = row.get(column)
    if value is None:
        text = "—"
    elif isinstance(value, float):
        text = f"{value:,.3f}" if abs(value) < 1 else f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, datetime.datetime):
        text = f"{value:%Y-%m-%d %H:%M}"
    else:
        text = str(value)
    pattern = chart.links.get(column)
    if pattern and row.get("npc_id"):
        return format_html('<a href="{}">{}</a>', pattern.replace("{npc_id}", str(row["npc_id"])), text)
    return text


@register.simple_tag
def figure_script(chart):
    """The chart's Plotly JSON in a <script type="application/json">, safely escaped."""
    return json_script(chart.figure, f"figure-{chart.id}")
