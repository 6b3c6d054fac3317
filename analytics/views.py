"""Analyst dashboards: read-only pages (GET only) for staff with `npcadmin.view_analytics`."""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib

import brotli
import plotly
import plotly.offline
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from analytics.cache import cached_dashboard_data
from analytics.dashboards import DASHBOARDS, default_world, draw
from analytics.filters import DEFAULT_RANGE, QUICK_RANGES, REFRESH_CHOICES, DashboardFilterForm
from npcadmin.access import requires

PLOTLY_VERSION = plotly.__version__


@requires("view_analytics")
@require_safe
def index(request):
    return render(request, "analytics/index.html", {"dashboards": DASHBOARDS.values()})


def _query_with(request, **changes) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@requires("view_analytics")
@require_safe
def dashboard(request, slug: str):
    board = DASHBOARDS.get(slug)
    if board is None:
        raise Http404("No such dashboard.")
    if board.needs_world and not request.GET.get("world"):
        # Keep the URL the whole truth about what is shown (shareable).
        return HttpResponseRedirect(f"{request.path}?{_query_with(request, world=default_world())}")
    data = request.GET.copy()
    data.setdefault("range", DEFAULT_RANGE)  # the form shows the range the page shows
    form = DashboardFilterForm(data, extra_fields=board.extra_fields())
    context = {
        "board": board, "dashboards": DASHBOARDS.values(), "form": form,
        "quick_ranges": [(key, label, _query_with(request, range=key, start=None, end=None, csv=None,
                                                  **{"from": None, "to": None}))
                         for key, (label, _) in QUICK_RANGES.items()],
        "time_from": request.GET.get("from", ""), "time_to": request.GET.get("to", ""),
        "refresh": request.GET.get("refresh", "") if request.GET.get("refresh") in REFRESH_CHOICES else "",
        "refresh_choices": REFRESH_CHOICES.items(),
        "charts": [], "filters": None, "plotly_version": PLOTLY_VERSION,
    }
    if not form.is_valid():
        return render(request, "analytics/dashboard.html", context, status=400)
    filters = form.filters()
    context["filters"] = filters
    if "alliance" in form.extra_names and filters.world_id:
        from analytics.selectors import alliances_in_world

        context["alliance_choices"] = alliances_in_world(filters.world_id)
        context["alliance_value"] = filters.get("alliance", "")
    if board.needs_npc and not filters.npc_id:
        from npcs.models import NPC

        context["npc_choices"] = NPC.objects.order_by("name", "id").values_list("id", "name")
        return render(request, "analytics/dashboard.html", context)
    npc_url = reverse("analytics:dashboard", args=["npc"]) + "?" + _query_with(request, npc="{npc_id}", csv=None)
    context_for_charts = {"npc_url": npc_url.replace("%7Bnpc_id%7D", "{npc_id}")}
    # The drawn charts are cached, not only the rows: building Plotly figures costs as much as the SQL.
    charts = cached_dashboard_data(slug, filters, lambda f: draw(board, f, context_for_charts))

    wanted = request.GET.get("csv")
    if wanted:
        chart = next((c for c in charts if c.id == wanted), None)
        if chart is None:
            raise Http404("No such chart on this dashboard.")
        return _csv_response(chart, f"{slug}-{chart.id}-{timezone.now():%Y%m%d-%H%M}.csv")
    for chart in charts:
        chart.csv_query = _query_with(request, csv=chart.id)
    context.update(charts=charts, drawn_at=timezone.now())
    return render(request, "analytics/dashboard.html", context)


def _csv_response(chart, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(chart.columns)
    for row in chart.rows:
        writer.writerow([_csv_cell(row.get(c)) for c in chart.columns])
    return response


def _csv_cell(value):
    """The value as written; text that a spreadsheet would run as a formula is quoted with a '."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@functools.cache
def _plotly_js() -> tuple[str, str]:
    source = plotly.offline.get_plotlyjs()
    return source, hashlib.sha256(source.encode()).hexdigest()[:16]


@functools.cache
def _plotly_js_encoded(encoding: str) -> bytes:
    """plotly.min.js compressed once per process (4.8 MB → ~1 MB with Brotli, ~1.4 MB with gzip)."""
    raw = _plotly_js()[0].encode()
    if encoding == "br":
        return brotli.compress(raw, quality=9)
    if encoding == "gzip":
        return gzip.compress(raw, compresslevel=9, mtime=0)
    return raw


def _accepted_encoding(request) -> str:
    accepted = {part.split(";")[0].strip() for part in request.headers.get("Accept-Encoding", "").split(",")}
    return "br" if "br" in accepted else "gzip" if "gzip" in accepted else ""


@require_safe
def plotly_js(request, version: str = ""):
    """plotly.min.js from the installed plotly package: no CDN, works offline, cached for a year,
    sent Brotli- or gzip-compressed when the browser accepts it."""
    _, etag = _plotly_js()
    encoding = _accepted_encoding(request)
    tag = f'"{etag}{"-" + encoding if encoding else ""}"'
    if request.headers.get("If-None-Match") in {tag, f'"{etag}"'}:
        return HttpResponse(status=304)
    response = HttpResponse(_plotly_js_encoded(encoding), content_type="application/javascript; charset=utf-8")
    if encoding:
        response["Content-Encoding"] = encoding
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["ETag"] = tag
    return response


