"""A circuit breaker per database alias: a database that just failed is answered "down" at once.

Without it every request for a world whose server is gone waits out the connect timeout (or
the pool's), and those waiting requests hold the server's worker threads, so pages that never
touch that world queue behind them (issue 16: the whole instance fell from ~30 to ~7 requests/s).

States, per alias and per process:

- **closed**: requests use the database. A *connection-level* failure (could not connect,
  connection lost, the server shutting down) opens the circuit; a query error does not.
- **open**: `guard(alias)` raises `CircuitOpen` at once, no network. After
  `NPCADMIN_DB_BREAKER_RETRY_SECONDS` the next caller becomes the probe (half-open).
- **half-open**: that one caller opens a bare psycopg connection with a short timeout
  (`NPCADMIN_DB_BREAKER_PROBE_TIMEOUT`), the others still get `CircuitOpen`. Success closes the
  circuit and drops the alias's connection pool (its reconnect back-off may by then be long),
  failure opens it for another interval.

A retry interval of 0 turns the breaker off (every request tries the database; the test
settings' default, so a test that restores a database sees it back at once).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
# SQLSTATE classes/codes that mean "this server cannot be used", not "this query is wrong".
_DOWN_SQLSTATES = ("08", "57P01", "57P02", "57P03", "3D000")


class CircuitOpen(Exception):
    """The database behind `alias` failed recently; `reason` is its last error, `retry_in` seconds."""

    def __init__(self, alias: str, reason: str, since: float, retry_in: float):
        super().__init__(f"{alias}: down since {time.time() - since:.0f} s ago ({reason})")
        self.alias = alias
        self.reason = reason
        self.since = since
        self.retry_in = retry_in


@dataclass
class _Circuit:
    state: str = CLOSED
    reason: str = ""
    opened_at: float = 0.0  # monotonic, for the retry interval
    down_since: float = 0.0  # wall clock, for people
    failures: int = 0


_lock = threading.Lock()
_circuits: dict[str, _Circuit] = {}


def _retry_seconds() -> float:
    return float(getattr(settings, "NPCADMIN_DB_BREAKER_RETRY_SECONDS", 2.0))


def _probe_timeout() -> int:
    return max(1, int(getattr(settings, "NPCADMIN_DB_BREAKER_PROBE_TIMEOUT", 1)))


def is_connection_failure(exc: BaseException, alias: str | None = None) -> bool:
    """True for errors that say the server is unusable: any error while connecting (refused,
    timed out, the database refusing connections, the pool's timeout), or a live connection
    lost or terminated by the server."""
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    if alias is not None and connections[alias].connection is None:
        return True  # the error came from connecting, not from a query
    cause = exc.__cause__
    if isinstance(cause, psycopg.Error):
        sqlstate = cause.sqlstate or ""
        return not sqlstate or sqlstate.startswith(_DOWN_SQLSTATES)
    return True  # Django's own InterfaceError ("connection already closed")


def state(alias: str) -> str:
    with _lock:
        return _circuits.get(alias, _Circuit()).state


def record_failure(alias: str, exc: BaseException) -> None:
    """Open the circuit of `alias` (called with a connection-level failure)."""
    reason = (" ".join(str(exc).split()) or type(exc).__name__)[:300]
    with _lock:
        circuit = _circuits.setdefault(alias, _Circuit())
        if circuit.state == CLOSED:
            circuit.down_since = time.time()
            logger.warning("database %s down, circuit open: %s", alias, reason)
        circuit.state, circuit.reason, circuit.opened_at = OPEN, reason, time.monotonic()
        circuit.failures += 1


def _record_recovery(alias: str) -> None:
    with _lock:
        circuit = _circuits.pop(alias, None)
    if circuit is not None and circuit.state != CLOSED:
        logger.warning("database %s back after %.0f s, circuit closed", alias, time.time() - circuit.down_since)
    # A pool that kept failing has stretched its reconnect back-off; a fresh one connects now.
    with contextlib.suppress(Exception):
        connections[alias].close_pool()


def reset(alias: str | None = None) -> None:
    """Forget every circuit (or one): for tests and after a configuration change."""
    with _lock:
        if alias is None:
            _circuits.clear()
        else:
            _circuits.pop(alias, None)


def _probe(alias: str) -> Exception | None:
    """A bare connection to the alias's server with a short timeout: None when it answers."""
    config = settings.DATABASES[alias]
    params = {"dbname": config.get("NAME"), "user": config.get("USER") or None,
              "password": config.get("PASSWORD") or None, "host": config.get("HOST") or None,
              "port": config.get("PORT") or None, "connect_timeout": _probe_timeout()}
    try:
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return exc
    return None


def _admit(alias: str) -> None:
    """Raise CircuitOpen unless the circuit lets this caller through (probing it if due)."""
    retry = _retry_seconds()
    if retry <= 0:
        return
    with _lock:
        circuit = _circuits.get(alias)
        if circuit is None or circuit.state == CLOSED:
            return
        waited = time.monotonic() - circuit.opened_at
        if circuit.state == HALF_OPEN or waited < retry:
            raise CircuitOpen(alias, circuit.reason, circuit.down_since, max(retry - waited, 0.0))
        circuit.state = HALF_OPEN  # this caller probes; the others keep getting CircuitOpen
    failure = _probe(alias)
    if failure is None:
        _record_recovery(alias)
        return
    record_failure(alias, failure)
    with _lock:
        circuit = _circuits[alias]
        raise CircuitOpen(alias, circuit.reason, circuit.down_since, retry)


@contextlib.contextmanager
def guard(alias: str):
    """Use the database `alias` inside: CircuitOpen at once while it is known to be down, and a
    connection-level failure inside opens its circuit (the error itself propagates)."""
    _admit(alias)
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        if _retry_seconds() > 0 and is_connection_failure(exc, alias):
            record_failure(alias, exc)
        raise
