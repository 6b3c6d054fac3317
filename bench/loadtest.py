#!/usr/bin/env python
"""Load test: N concurrent logged-in game masters against the production server, bounded in time.

With `--serve` it starts the production configuration itself on a free loopback port
(collectstatic into a temporary directory, a random secret key, uvicorn with `--workers`
processes, default one per core; `--server daphne` for the single daphne process) and stops
it at the end; otherwise give `--base-url` of a server that already runs. Each virtual user loops over
the URLs (the console's changelists, the dashboards, the probe) after logging in through
the login form as a superuser created here, and every response is timed. Fails (exit 1) on any
error: a connection error or any answer but 200 (a 5xx, a 404 of a mistyped URL, a redirect to the
login page of a lost session). Standard library only: threads and http.client.

    .venv/bin/python bench/loadtest.py --serve --users 50 --duration 300 --write docs/benchmarks.md
    .venv/bin/python bench/loadtest.py --base-url http://127.0.0.1:8000 --users 10 --duration 30 /analytics/

`--outage WORLD` runs twice with the same users and URLs: healthy, then with WORLD's database
made unavailable from `--outage-at` seconds for `--outage-for` seconds (`ALTER DATABASE ...
ALLOW_CONNECTIONS false` and its sessions terminated: the server keeps serving the other
databases). It reports the other pages' p95 in both runs, their non-200 answers (must be 0;
the world's own pages answer 503 meanwhile, by design) and how long after the database's
return the world's first page answered 200 again.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from bench.report import add_write_argument, command_line, publish  # noqa: E402

DEFAULT_URLS = ["/admin/", "/admin/npcs/npc/", "/admin/npcs/npcdecision/", "/admin/npcs/npcmemory/", "/healthz"]


def superuser_credentials() -> tuple[str, str]:
    """A load-test superuser with a fresh random password (the server may run elsewhere)."""
    password = secrets.token_urlsafe(16)
    user, _ = get_user_model().objects.get_or_create(
        username="loadtest-superuser", defaults={"is_staff": True, "is_superuser": True})
    user.set_password(password)
    user.save()
    return user.username, password


class Browser:
    """Just enough of a browser for the admin: a cookie jar, CSRF, and the proxy's HTTPS header."""

    def __init__(self, base: str):
        parsed = urlparse(base)
        self.host, self.port, self.netloc = parsed.hostname, parsed.port, parsed.netloc
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.used = False  # whether `conn` has carried a request (a reused one may have been closed)
        self.retries = 0

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        origin = f"https://{self.netloc}"
        headers = {"Host": self.netloc, "X-Forwarded-Proto": "https", "Accept": "text/html",
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   "Origin": origin, "Referer": origin + path}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            reused = self.used
            try:
                self.used = True
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode(errors="replace")
                break
            except TimeoutError:  # a server too slow to answer in 30 s: an error, never sent again
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.used = False
                return 0, ""
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.used = False
                # A keep-alive connection the server closed while it sat idle (users wait for the
                # others to log in): a browser sends an idempotent request again on a new one, once.
                if not (reused and method == "GET" and attempt == 1):
                    return 0, ""
                self.retries += 1
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def login(self, username: str, password: str) -> bool:
        status, page = self.request("GET", "/admin/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            return False
        form = urlencode({"csrfmiddlewaretoken": match[1], "username": username, "password": password,
                          "next": "/admin/"})
        status, _ = self.request("POST", "/admin/login/?next=/admin/", form)
        return status == 302


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(server: str, port: int, workers: int) -> list[str]:
    """The production server's command line (docs/operations.md, the same as `make serve`)."""
    bin_dir = Path(sys.executable).parent
    if server == "daphne":
        return [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port), "npcadmin.asgi:application"]
    return [str(bin_dir / "uvicorn"), "npcadmin.asgi:application", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--lifespan", "off", "--no-access-log", "--timeout-keep-alive", "75",
            "--ws-per-message-deflate", "false"]


def serve_production(server: str = "uvicorn", workers: int = 1) -> tuple[subprocess.Popen, str]:
    """collectstatic + the production server with the production settings on a free loopback port."""
    port = _free_port()
    static = tempfile.mkdtemp(prefix="npcadmin-static-")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "npcadmin.settings.production",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_STATIC_ROOT": static,
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    # Production refuses to start without service URLs: hand it the development servers' explicitly.
    from npcadmin.env import database_url, redis_url

    env.setdefault("DATABASE_URL", database_url())
    env.setdefault("REDIS_URL", redis_url())
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], env=env, cwd=ROOT,
                   check=True)
    # The server's log goes to a file: a pipe nobody reads fills up and blocks the server.
    log = open(Path(static) / "daphne.log", "wb")  # noqa: SIM115 - closed with the process
    server = subprocess.Popen(server_command(server, port, workers), env=env, cwd=ROOT, stdout=log, stderr=log)
    server.log_path = log.name
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server, f"http://127.0.0.1:{port}"
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"server exited: {Path(log.name).read_text()[-2000:]}") from None
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("server did not start within 30 s")


def think_seconds(rng: random.Random, mean: float) -> float:
    """A game master's pause between two pages: exponential with `mean` (TPC-W's think-time model),
    cut at 4× the mean so one long pause cannot idle a user for most of a short run. 0: no pause."""
    return min(rng.expovariate(1 / mean), 4 * mean) if mean > 0 else 0.0


def virtual_user(browser: Browser, urls: list[str], until: float, samples: dict, lock: threading.Lock,
                 offset: int, think: float = 0.0) -> None:
    n = offset
    rng = random.Random(offset)
    if think:  # users arrive spread over one think time, not all at the same instant
        time.sleep(rng.uniform(0, think))
    while time.monotonic() < until:
        url = urls[n % len(urls)]
        n += 1
        began = time.monotonic()
        started = time.perf_counter()
        status, _ = browser.request("GET", url)
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            samples[url].append((status, elapsed, began))
        pause = think_seconds(rng, think)
        if pause:
            time.sleep(max(0.0, min(pause, until - time.monotonic())))
    browser.conn.close()


def _world_database_allows(world_id: str, allow: bool) -> None:
    """Take a world's database away (or give it back) on its server, which keeps serving the rest."""
    from django.db import connections
    from psycopg import sql

    name = connections[f"world_{world_id}"].settings_dict["NAME"]
    with connections["default"].cursor() as cursor:
        cursor.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
            sql.Identifier(name), sql.SQL("true" if allow else "false")))
        if not allow:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])


def run_load(base: str, urls: list[str], users: int, duration: float, credentials: tuple[str, str],
             outage: tuple[str, float, float] | None = None, think: float = 0.0) -> tuple[dict, float, float | None]:
    """(samples per URL as (status, ms, start), wall seconds, the outage's restore time or None)."""
    browsers = [Browser(base) for _ in range(users)]
    if not all(b.login(*credentials) for b in browsers):
        raise RuntimeError("could not log in through /admin/login/")
    samples: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    lock = threading.Lock()
    started = time.monotonic()
    until = started + duration
    threads = [threading.Thread(target=virtual_user, args=(browser, urls, until, samples, lock, i, think),
                                daemon=True) for i, browser in enumerate(browsers)]
    for thread in threads:
        thread.start()
    restored = None
    if outage is not None:
        world, at, length = outage
        time.sleep(max(0.0, started + at - time.monotonic()))
        _world_database_allows(world, False)
        try:
            time.sleep(max(0.0, started + at + length - time.monotonic()))
        finally:
            _world_database_allows(world, True)
            restored = time.monotonic()
    for thread in threads:
        thread.join(timeout=duration + 60)
    samples["__retries__"] = sum(b.retries for b in browsers)
    return samples, time.monotonic() - started, restored


def _table(samples: dict, urls: list[str]) -> tuple[list[str], list[float], int, int]:
    rows = ["| URL | requests | errors (not 200) | statuses other than 200 | median ms | p95 ms | max ms |",
            "|---|---:|---:|---|---:|---:|---:|"]
    all_times, total_errors, total = [], 0, 0
    for url in urls:
        results = samples.get(url, [])
        times = [ms for _, ms, _ in results]
        errors = sum(1 for status, _, _ in results if status != 200)
        others = sorted({status for status, _, _ in results if status != 200})  # 0: connection error
        all_times += times
        total_errors += errors
        total += len(results)
        rows.append(f"| `{url}` | {len(results)} | {errors} | {', '.join(map(str, others)) or '—'} | "
                    f"{statistics.median(times) if times else 0:.0f} | {p95(times):.0f} | "
                    f"{max(times, default=0):.0f} |")
    rows.append(f"| all | {total} | {total_errors} | | {statistics.median(all_times) if all_times else 0:.0f} | "
                f"{p95(all_times):.0f} | {max(all_times, default=0):.0f} |")
    return rows, all_times, total_errors, total


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))] if ordered else 0.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="*", help=f"paths to request (default: {' '.join(DEFAULT_URLS)})")
    parser.add_argument("--base-url", help="a running server; without it use --serve")
    parser.add_argument("--serve", action="store_true", help="start the production server on loopback")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="uvicorn worker processes (default: one per core)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=300, help="seconds")
    parser.add_argument("--think", type=float, default=0.0, metavar="SECONDS",
                        help="mean think time between a user's pages (exponential; default 0: none)")
    parser.add_argument("--outage", metavar="WORLD", help="also run with this world's database taken away")
    parser.add_argument("--outage-at", type=float, default=15.0, help="seconds into the outage run")
    parser.add_argument("--outage-for", type=float, default=20.0, help="seconds")
    parser.add_argument("--section", default="loadtest", help="the docs/benchmarks.md section to write")
    add_write_argument(parser, "loadtest")
    args = parser.parse_args(argv)
    if not args.base_url and not args.serve:
        parser.error("give --base-url or --serve")
    urls = args.urls or DEFAULT_URLS
    server = None
    base = args.base_url
    if args.serve:
        server, base = serve_production(args.server, args.workers)
    try:
        credentials = superuser_credentials()
        samples, wall, _ = run_load(base, urls, args.users, args.duration, credentials, think=args.think)
        outage_run = None
        if args.outage:
            outage_run = run_load(base, urls, args.users, args.duration, credentials,
                                  (args.outage, args.outage_at, args.outage_for), think=args.think)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=15)
            print(f"server log: {server.log_path}", file=sys.stderr)

    rows, all_times, total_errors, total = _table(samples, urls)
    command = command_line("loadtest.py", argv)
    if args.serve:
        processes = "one daphne process" if args.server == "daphne" else f"uvicorn, {args.workers} worker process(es)"
        target = f"the production settings on loopback ({processes})"
    else:
        target = base
    pacing = (f"each pausing a think time between pages (exponential, mean {args.think:g} s)"
              if args.think else "with no think time (each requests its next page as soon as one arrives)")
    body = (f"{args.users} concurrent users, {pacing}, for {args.duration:g} s against {target}: "
            f"{total} requests ({total / wall:.0f}/s), {total_errors} errors, "
            f"{samples.get('__retries__', 0)} GETs sent again on a fresh connection after the server had closed "
            "an idle keep-alive one, "
            f"p50 {statistics.median(all_times) if all_times else 0:.0f} ms, p95 {p95(all_times):.0f} ms.\n\n"
            f"Reproduce: `{command.strip()}`\n\n"
            + "\n".join(rows) + "\n")
    failed = bool(total_errors or not total)
    if outage_run is not None:
        body, outage_failed = _outage_report(body, args, urls, samples, outage_run)
        failed = failed or outage_failed
    publish(args.write, args.section, "Load test", body)
    return 1 if failed else 0


def _outage_report(body: str, args, urls: list[str], healthy: dict, outage_run) -> tuple[str, bool]:
    samples, _wall, restored = outage_run
    world_prefix = f"/worlds/{args.outage}/"
    others = [u for u in urls if not u.startswith(world_prefix)]
    rows, outage_times, _errors, _total = _table(samples, urls)
    healthy_times = [ms for u in others for _, ms, _ in healthy.get(u, [])]
    other_times = [ms for u in others for _, ms, _ in samples.get(u, [])]
    other_errors = sum(1 for u in others for status, _, _ in samples.get(u, []) if status != 200)
    world_after = sorted((began + ms / 1000, status) for u in urls if u.startswith(world_prefix)
                         for status, ms, began in samples.get(u, []) if began >= restored)
    first_ok = next((end for end, status in world_after if status == 200), None)
    recovery = f"{first_ok - restored:.1f} s" if first_ok is not None else "never (within the run)"
    ratio = p95(other_times) / p95(healthy_times) if healthy_times and p95(healthy_times) else float("nan")
    body += (f"\n**With world `{args.outage}`'s database taken away** at {args.outage_at:g} s for "
             f"{args.outage_for:g} s (same users, URLs and duration): the other pages' p95 "
             f"{p95(other_times):.0f} ms against {p95(healthy_times):.0f} ms healthy ({ratio:.2f}×), "
             f"{other_errors} non-200 answers on them; the world's first 200 came {recovery} after "
             "its database was back.\n\n" + "\n".join(rows) + "\n")
    return body, bool(other_errors) or first_ok is None or ratio > 1.25


if __name__ == "__main__":
    sys.exit(main())
