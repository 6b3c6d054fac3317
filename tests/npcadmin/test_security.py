"""Security basics: production settings refuse to run unsafely, pages are for staff, logins throttled."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver

# Pages anyone may open: the probe, the login page and what only redirects to it.
# The Plotly library is a public static asset served by the analytics app (versioned URL).
PUBLIC = {"healthz", "favicon.ico", "admin/login/", "admin/logout/", "", "admin/password_reset/",
          "analytics/plotly-demo.min.js"}
SAMPLE_ARGS = {"int": "1", "str": "demo", "slug": "demo", "uuid": str(uuid.uuid4()), "path": "1"}


def _production(args: list[str], secret: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "npcadmin.settings.production"}
    env.pop("DJANGO_SECRET_KEY", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set in-process by the browser tests' fixtures
    if secret is not None:
        env["DJANGO_SECRET_KEY"] = secret
    return subprocess.run([sys.executable, "manage.py", *args], env=env, capture_output=True, text=True,
                          timeout=90, cwd=settings.BASE_DIR)


@pytest.mark.parametrize("secret", [None, "", "short-key", "django-insecure-" + "x" * 60, "a" * 60])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    result = _production(["check"], secret)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


def test_production_passes_the_deploy_check_with_no_warning():
    result = _production(["check", "--deploy", "--fail-level", "WARNING"], secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def _urls(patterns=None, prefix=""):
    """Every URL of the project with sample values for its parameters."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _urls(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            if route.startswith("^") or "(?P" in route:
                continue  # regex routes (none of ours) cannot be filled in generically
            yield re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_ARGS.get(m.group(1) or "str", "1"), route)


def _private_urls():
    return sorted({u for u in _urls() if u not in PUBLIC and not u.startswith("static/")})


def test_the_url_walk_finds_the_admin():
    assert "admin/" in _private_urls()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "player"])
def test_every_page_but_the_public_ones_is_for_staff(client, who):
    if who == "player":
        client.force_login(get_user_model().objects.create_user("player", password="x" * 12))
    leaks = []
    for url in _private_urls():
        response = client.get("/" + url)
        if response.status_code in (200, 204) or (
            response.status_code in (301, 302) and "login" not in response.get("Location", "")
        ):
            leaks.append(f"/{url} -> {response.status_code}")
    assert not leaks, f"served to {who}: {leaks}"


@pytest.fixture
def clean_throttle():
    cache.delete_pattern("login-fail:*")
    yield
    cache.delete_pattern("login-fail:*")


@pytest.mark.django_db
def test_failed_logins_are_throttled_per_username(client, clean_throttle):
    get_user_model().objects.create_superuser("gm", password="right-password-123")
    login = "/admin/login/"
    for _ in range(settings.NPCADMIN_LOGIN_MAX_FAILURES):
        assert client.post(login, {"username": "gm", "password": "wrong"}).status_code == 200
    refused = client.post(login, {"username": "gm", "password": "right-password-123"})
    assert refused.status_code == 429 and refused["Retry-After"]
    other = client.post(login, {"username": "someone-else", "password": "wrong"})
    assert other.status_code == 200  # another account is not locked out


@pytest.mark.django_db
def test_a_successful_login_clears_the_failures(client, clean_throttle):
    get_user_model().objects.create_superuser("gm2", password="right-password-123")
    for _ in range(settings.NPCADMIN_LOGIN_MAX_FAILURES - 1):
        client.post("/admin/login/", {"username": "gm2", "password": "wrong"})
    assert client.post("/admin/login/", {"username": "gm2", "password": "right-password-123"}).status_code == 302
    client.logout()
    for _ in range(settings.NPCADMIN_LOGIN_MAX_FAILURES - 1):
        assert client.post("/admin/login/", {"username": "gm2", "password": "wrong"}).status_code == 200
