"""Keeping a browser on the primary database just after it wrote (replication lag).

With a read replica, a game master who saves a form and is redirected to the list could
otherwise read the replica before it has replayed the write. A request that is not
GET/HEAD/OPTIONS marks the browser with a short-lived cookie; while it lasts, that browser's
reads of global tables go to the primary. Each request starts unpinned otherwise.
"""

from __future__ import annotations

from django.conf import settings

from npcadmin.routers import pin_to_primary, unpin

PIN_COOKIE = "npcadmin_primary"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class ReplicaPinMiddleware:
    """Pin reads to the primary for `NPCADMIN_REPLICA_PIN_SECONDS` after a write request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        writes = request.method not in SAFE_METHODS
        token = pin_to_primary(writes or PIN_COOKIE in request.COOKIES)
        try:
            response = self.get_response(request)
        finally:
            unpin(token)
        if writes:
            response.set_cookie(PIN_COOKIE, "1", max_age=getattr(settings, "NPCADMIN_REPLICA_PIN_SECONDS", 5),
                                httponly=True, samesite="Lax", secure=request.is_secure())
        return response
