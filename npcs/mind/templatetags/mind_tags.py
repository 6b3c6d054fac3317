"""Template filters of the mind pages: JSON shown readably, long text folded."""

from __future__ import annotations

import datetime
import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from npcadmin.jsonb import json_text

register = template.Library()

FOLD_CHARS = 600
FOLD_LINES = 12


def _as_text(value) -> str:
    """JSON values and JSON-looking strings indented; anything else as it is."""
    if value is None:
        return ""
    text = json_text(value)
    return value if text is None else text


@register.filter
def compact_json(value, length: int = 140) -> str:
    """One line of JSON, cut at `length` characters."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    return text if len(text) <= int(length) else text[: int(length) - 1] + "…"


@register.filter
def folded(value):
    """`<pre>` for short text; `<details>` with the first line as summary for long text."""
    text = _as_text(value)
    if not text:
        return mark_safe('<span class="muted">—</span>')  # noqa: S308 (constant)
    lines = text.count("\n") + 1
    if len(text) <= FOLD_CHARS and lines <= FOLD_LINES:
        return format_html('<pre class="trace">{}</pre>', text)
    first = text.strip().splitlines()[0][:120]
    return format_html(
        '<details class="trace"><summary>{}… <span class="muted">({} characters, {} lines)</span></summary>'
        '<pre class="trace">{}</pre></details>',
        first, len(text), lines, text,
    )


@register.filter
def percent(value, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}%"


@register.filter
def duration(value) -> str:
    """A timedelta as "350 ms", "12.4 s", "3 min 20 s" or "2 h 5 min"."""
    if value is None:
        return "—"
    if not isinstance(value, datetime.timedelta):
        return str(value)
    seconds = value.total_seconds()
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 1:
        return f"{sign}{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{sign}{seconds:.1f} s"
    if seconds < 3600:
        return f"{sign}{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{sign}{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
