"""Headless Chromium (Debian's, driven by Playwright) against a live test server.

Tests here are marked `browser` and skip, saying why, when Chromium is not installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connections

CHROMIUM = os.environ.get("NPCADMIN_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("NPCADMIN_SCREENSHOTS", "/tmp"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
    # Playwright's sync API keeps an event loop running in the main thread once the session's
    # browser starts; async tests collected after it would fail, so browser tests run last.
    items.sort(key=lambda item: "tests/browser" in str(item.fspath))


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself (creating users, factories) are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def game_master(django_user_model):
    return django_user_model.objects.create_superuser("gm", "gm@example.com", "gm-password-123")


@pytest.fixture
def gm_page(page, live_server, game_master):
    """A page logged in to the console as a game master (superuser)."""
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "gm")
    page.fill("#id_password", "gm-password-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.base_url = live_server.url
    return page


def _database_url() -> str:
    db = settings.DATABASES["default"]  # already the test database's name under pytest-django
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    host = quote(db["HOST"], safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


@pytest.fixture
def asgi_server(redis_client):
    """daphne in a subprocess on the test database and the test Redis; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connections.close_all()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "npcadmin.settings.test", "DATABASE_URL": _database_url(),
           "REDIS_URL": settings.REDIS_URL, "NPCADMIN_RUNTIME_REDIS_URL": settings.NPCADMIN_RUNTIME_REDIS_URL}
    log_path = SCREENSHOTS / "npcadmin-runtime-daphne.log"
    log = open(log_path, "w")  # noqa: SIM115
    process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                "tests.browser.asgi_static:application"],
                               cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError(f"daphne did not start: {log_path.read_text()}") from None
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # a worker thread still busy (plotly.js compressed on first request)
        process.kill()
        process.wait(timeout=10)
    log.close()
