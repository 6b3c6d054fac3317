"""Project-level views: the landing dashboard and the load balancer's health probe."""

from __future__ import annotations

import hmac
import re

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from npcadmin import health
from npcadmin.navigation import area_counts

HEALTH_TOKEN_HEADER = "X-Health-Token"

# Where a driver's error names a server: addresses with ports, quoted hosts or socket paths.
_ADDRESS_RES = (
    re.compile(r"\[[0-9A-Fa-f:.]+\](?::\d+)?"),  # [::1]:6379
    re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"),  # 127.0.0.1:6390
    re.compile(r'"[^"]*"'),  # psycopg: server at "db.internal", socket "/run/.../.s.PGSQL.5432"
    re.compile(r"(?<![\w/])/[\w.@%+-]+(?:/[\w.@%+-]+)+"),  # a bare socket path
    re.compile(r"\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+:\d+\b"),  # db.internal:5432
    re.compile(r"\b[A-Za-z0-9-]+:\d{2,5}\b"),  # localhost:6379
)
_PORT_RE = re.compile(r"\bport\s+\d+", re.IGNORECASE)


def hide_addresses(text: str) -> str:
    """The message without host names, addresses, ports or socket paths (for callers outside the team)."""
    for pattern in _ADDRESS_RES:
        text = pattern.sub("***", text)
    return _PORT_RE.sub("port ***", text)


def _full_access(request) -> str | None:
    """'staff' (messages as they are), 'token' (addresses hidden) or None (no detail at all)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_active and user.is_staff:
        return "staff"
    token = getattr(settings, "NPCADMIN_HEALTH_TOKEN", "")
    sent = request.headers.get(HEALTH_TOKEN_HEADER, "")
    if token and sent and hmac.compare_digest(token.encode(), sent.encode()):
        return "token"
    return None


@never_cache
@require_safe
def healthz(request):
    """The load balancer's probe (cheap checks) or, with `?full=1`, every check for monitoring.

    Probe: open to anyone, statuses only; 503 only when this instance cannot serve (the global
    database is unreachable); Redis down is `"degraded"` with 200, because every instance shares
    that Redis and the pages still work without it. `?full=1` needs a staff session or the
    `X-Health-Token` header matching `NPCADMIN_HEALTH_TOKEN` (403 otherwise); 503 when any check
    fails. Messages have credentials redacted, and hosts, ports and paths too for the token.
    """
    full = request.GET.get("full") in {"1", "true", "yes"}
    access = _full_access(request) if full else None
    if full and access is None:
        return JsonResponse({"status": "forbidden",
                             "error": f"?full=1 needs a staff session or the {HEALTH_TOKEN_HEADER} header"},
                            status=403)
    results = health.cached_run(full=full)
    status = health.overall_status(results) if full else health.probe_status(results)
    checks = [r.as_dict(with_message=full) for r in results]
    if access == "token":
        for check in checks:
            check["message"] = hide_addresses(check["message"])
            check["details"] = {}
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == health.ERROR else 200)


@staff_member_required
def home(request):
    """`/` and the admin's "View site": the dashboard of every area with its live count."""
    return render(request, "home.html", {"area_cards": area_counts(request.user)})


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the one (hashed) icon."""
    return HttpResponseRedirect(static("img/favicon.svg"))
