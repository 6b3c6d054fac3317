"""Project-level views: the landing dashboard and the load balancer's health probe."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from npcadmin import health
from npcadmin.navigation import area_counts


@never_cache
@require_safe
def healthz(request):
    """The load balancer's probe (cheap checks) or, with `?full=1`, every check for monitoring.

    Probe: 503 only when this instance cannot serve (the global database is unreachable);
    Redis down is `"degraded"` with 200, because every instance shares that Redis and the
    pages still work without it. `?full=1`: 503 when any check fails. No authentication and
    no secrets: messages are shown only with `full=1`, with credentials redacted.
    """
    full = request.GET.get("full") in {"1", "true", "yes"}
    results = health.cached_run(full=full)
    status = health.overall_status(results) if full else health.probe_status(results)
    body = {
        "status": status,
        "checks": [r.as_dict(with_message=full) for r in results],
    }
    return JsonResponse(body, status=503 if status == health.ERROR else 200)


@staff_member_required
def home(request):
    """`/` and the admin's "View site": the dashboard of every area with its live count."""
    return render(request, "home.html", {"area_cards": area_counts(request.user)})


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the one (hashed) icon."""
    return HttpResponseRedirect(static("img/favicon.svg"))
