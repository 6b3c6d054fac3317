"""Throttling password guessing on the login form (counters in the Redis cache).

Three budgets, each over `NPCADMIN_LOGIN_WINDOW_SECONDS`:

- per (username, client address): after `NPCADMIN_LOGIN_MAX_FAILURES` failures that pair is
  refused (429) until the window ends. Only the guesser's own address is locked, so nobody can
  lock a user out from somewhere else.
- per client address, across usernames: ten times that budget (one address spraying names).
- per username, from every address: once it has failed `NPCADMIN_LOGIN_MAX_FAILURES` times,
  the username accepts one attempt per `NPCADMIN_LOGIN_SLOWDOWN_SECONDS` (a slow-down, not a
  lock: the real user waits seconds, an attacker with many addresses gets a guess per interval).

The username is normalised the way Django's login form does (strip, NFKC), then case-folded,
so `ｇｍ２` and `GM2` share `gm2`'s counters. The client address is `REMOTE_ADDR`, or, when the
peer is one of `NPCADMIN_TRUSTED_PROXIES`, the right-most address in `X-Forwarded-For` that is
not a trusted proxy: a client cannot pick its address by sending the header itself.
With Redis down the cache ignores errors and logins are not throttled (fail open: the console
stays usable; the password hashing still slows guessing).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import resolve_url


def normalize_username(username: str) -> str:
    """The throttle's key for a username: Django's form normalisation (strip + NFKC), case-folded."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username.strip()).casefold())


@functools.cache
def _trusted_networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _parse_ip(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str:
    """The client's address: `X-Forwarded-For` is believed only as far as trusted proxies wrote it."""
    networks = _trusted_networks(tuple(getattr(settings, "NPCADMIN_TRUSTED_PROXIES", ())))
    peer = request.META.get("REMOTE_ADDR", "")
    if not _trusted(_parse_ip(peer), networks):
        return peer
    # Each trusted proxy appends the address it saw; walk back from the nearest hop.
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _parse_ip(hop)
        if address is None:
            return peer  # a hop we cannot read: the last trusted proxy is all we know
        if not _trusted(address, networks):
            return str(address)
    return peer


def _key(kind: str, *values: str) -> str:
    return "login-fail:" + kind + ":" + hashlib.sha256("\0".join(values).encode()).hexdigest()[:32]


def _count(key: str, window: int) -> None:
    if cache.add(key, 1, window) is False:
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, window)


def _refused(retry_after: int) -> HttpResponse:
    response = HttpResponse("Too many failed logins. Try again later.", status=429, content_type="text/plain")
    response["Retry-After"] = str(retry_after)
    return response


class LoginThrottleMiddleware:
    """Count failed POSTs to the login page; refuse more once a budget is spent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or request.path != resolve_url(settings.LOGIN_URL):
            return self.get_response(request)
        limit = settings.NPCADMIN_LOGIN_MAX_FAILURES
        window = settings.NPCADMIN_LOGIN_WINDOW_SECONDS
        slowdown = settings.NPCADMIN_LOGIN_SLOWDOWN_SECONDS
        username = normalize_username(request.POST.get("username", ""))
        address = client_ip(request)
        pair_key, addr_key, user_key = _key("pair", username, address), _key("addr", address), _key("user", username)
        counts = cache.get_many([pair_key, addr_key, user_key])
        if counts.get(pair_key, 0) >= limit or counts.get(addr_key, 0) >= limit * 10:
            return _refused(window)
        # Checked after the pair lock, so a locked-out guesser does not use up the user's slots.
        if counts.get(user_key, 0) >= limit and cache.add(_key("slow", username), 1, slowdown) is False:
            return _refused(slowdown)
        response = self.get_response(request)
        if response.status_code == 302 and request.user.is_authenticated:
            cache.delete_many([pair_key, user_key])
        elif response.status_code == 200:  # the form came back with an error: a failed attempt
            for key in (pair_key, addr_key, user_key):
                _count(key, window)
        return response
