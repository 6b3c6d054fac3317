"""Throttling password guessing on the login form (counters in the Redis cache).

After `NPCADMIN_LOGIN_MAX_FAILURES` failed logins for one username within
`NPCADMIN_LOGIN_WINDOW_SECONDS`, further attempts for it are answered 429 until the window
ends; one client address gets ten times that budget across usernames. A successful login
clears the username's counter. With Redis down the cache ignores errors and logins are not
throttled (fail open: the console stays usable; the password hashing still slows guessing).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import resolve_url


def _key(kind: str, value: str) -> str:
    return "login-fail:" + kind + ":" + hashlib.sha256(value.encode()).hexdigest()[:32]


class LoginThrottleMiddleware:
    """Count failed POSTs to the login page; refuse more once the budget is spent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or request.path != resolve_url(settings.LOGIN_URL):
            return self.get_response(request)
        limit = getattr(settings, "NPCADMIN_LOGIN_MAX_FAILURES", 5)
        window = getattr(settings, "NPCADMIN_LOGIN_WINDOW_SECONDS", 900)
        user_key = _key("user", request.POST.get("username", "").strip().lower())
        addr_key = _key("addr", request.META.get("REMOTE_ADDR", ""))
        counts = cache.get_many([user_key, addr_key])
        if counts.get(user_key, 0) >= limit or counts.get(addr_key, 0) >= limit * 10:
            response = HttpResponse("Too many failed logins. Try again later.", status=429,
                                    content_type="text/plain")
            response["Retry-After"] = str(window)
            return response
        response = self.get_response(request)
        if response.status_code == 302 and request.user.is_authenticated:
            cache.delete(user_key)
        elif response.status_code == 200:  # the form came back with an error: a failed attempt
            for key in (user_key, addr_key):
                if cache.add(key, 1, window) is False:
                    try:
                        cache.incr(key)
                    except ValueError:  # expired between add and incr
                        cache.add(key, 1, window)
        return response
