"""Project-level views: the load balancer's health probe."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from npcadmin import health


@never_cache
@require_safe
def healthz(request):
    """200 when every check passes (warnings included), 503 otherwise; `?full=1` runs every check.

    Without `full` only the cheap checks run (global database and Redis): what decides
    whether this instance can serve. No authentication and no secrets: error messages are
    shown only with `full=1`, with credentials redacted.
    """
    full = request.GET.get("full") in {"1", "true", "yes"}
    results = health.cached_run(full=full)
    status = health.overall_status(results)
    body = {
        "status": status,
        "checks": [r.as_dict(with_message=full) for r in results],
    }
    return JsonResponse(body, status=503 if status == health.ERROR else 200)
