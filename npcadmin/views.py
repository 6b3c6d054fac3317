"""Project-level views: the load balancer's health probe."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from npcadmin import health


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
