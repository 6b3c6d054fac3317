"""Health checks of everything NPC Admin depends on, for `manage.py healthcheck` and `/healthz`.

A registry: this module holds the checks of the project's own infrastructure (every database
alias, the replica's lag, the cache's Redis, the channel layer) and each app adds its own from
its `health.py`, found by `autodiscover_modules("health")` the first time checks are listed:

    from npcadmin import health

    @health.register(name="memory_partitions")
    def check_memory_partitions() -> health.CheckResult: ...

A check is a callable taking no argument and returning one `CheckResult` or a list of them.
`cheap=True` puts it in the load balancer's probe (`/healthz` without ?full=1), `essential=True`
lets it fail that probe. Every check runs in its own worker thread with a deadline
(`NPCADMIN_HEALTH_TIMEOUT` seconds), so a world database that hangs is reported as timed out
instead of hanging the probe. Each worker closes the database connections it opened.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connections
from django.utils.module_loading import autodiscover_modules

OK, WARNING, ERROR = "ok", "warning", "error"
DEGRADED = "degraded"  # the probe's word for "serving, but something non-essential failed"
_SEVERITY = {OK: 0, WARNING: 1, ERROR: 2}


@dataclass
class CheckResult:
    """The outcome of one check: `status` is ok, warning (degraded, still serving) or error."""

    name: str
    status: str
    message: str
    duration_ms: float = 0.0
    details: dict = field(default_factory=dict)

    def as_dict(self, *, with_message: bool = True) -> dict:
        data = asdict(self)
        data["duration_ms"] = round(self.duration_ms, 1)
        if not with_message:
            data.pop("message")
            data.pop("details")
        else:
            data["message"] = redact(self.message)
        return data


@dataclass(frozen=True)
class HealthCheck:
    """A named check; `cheap` ones make up the load balancer's probe (`/healthz` without ?full=1).

    `essential` ones decide that probe's status: an instance that cannot reach the global
    database cannot serve, but one that lost Redis still serves every page (the cache ignores
    errors), so a Redis outage is reported as degraded instead of taking every instance out
    of the load balancer at once.
    """

    name: str
    func: Callable[[], CheckResult | list[CheckResult]]
    cheap: bool = False
    essential: bool = False


_registered: list[HealthCheck] = []
_registry_lock = threading.Lock()


def register(func: Callable | None = None, *, name: str | None = None, cheap: bool = False,
             essential: bool = False):
    """Add a check (usable as a decorator); an app calls it at import time of its `health.py`."""

    def add(f):
        check = HealthCheck(name or f.__name__, f, cheap=cheap, essential=essential)
        with _registry_lock:
            if all(c.name != check.name for c in _registered):
                _registered.append(check)
        return f

    return add(func) if func is not None else add


_CREDENTIALS_RE = re.compile(r"(\w+://)[^/@\s]*@")
_PASSWORD_RE = re.compile(r"(password\s*=\s*)\S+", re.IGNORECASE)


def redact(text: str) -> str:
    """Strip credentials that a driver might echo in an error message."""
    return _PASSWORD_RE.sub(r"\1***", _CREDENTIALS_RE.sub(r"\1***@", text))


def short_error(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return redact(f"{exc.__class__.__name__}: {text}")[:300]


# --- built-in checks ---------------------------------------------------------------------------


def database_aliases() -> list[str]:
    """The global database, then every world database (aliases `world_*`), then the rest."""
    aliases = list(settings.DATABASES)
    worlds = sorted(a for a in aliases if a.startswith("world_"))
    others = [a for a in aliases if a != "default" and a not in worlds]
    return ["default", *worlds, *others]


def check_database(alias: str) -> CheckResult:
    """`SELECT 1` on one database alias (a new connection in this worker thread)."""
    name = f"database:{alias}"
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return CheckResult(name, ERROR, f"unreachable: {short_error(exc)}")
    return CheckResult(name, OK, "SELECT 1 ok")


def check_replica_lag() -> list[CheckResult]:
    """How far the read replica trails the primary (only when `DATABASE_REPLICA_URL` is set)."""
    if "replica" not in settings.DATABASES:
        return []
    name = "replica_lag"
    limit = float(getattr(settings, "NPCADMIN_REPLICA_MAX_LAG_SECONDS", 30))
    with connections["replica"].cursor() as cursor:
        # Caught up (all received WAL replayed) counts as no lag: on an idle primary the replay
        # timestamp stands still and `now() - timestamp` would grow without any real lag.
        cursor.execute(
            "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
            "ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"
        )
        in_recovery, lag = cursor.fetchone()
    if not in_recovery:
        return [CheckResult(name, WARNING, "the replica alias is not a standby (pg_is_in_recovery() is false)")]
    details = {"lag_seconds": float(lag) if lag is not None else None}
    if lag is not None and lag > limit:
        return [CheckResult(name, ERROR, f"replica is {lag:.0f} s behind the primary (limit {limit:g} s)",
                            details=details)]
    return [CheckResult(name, OK, f"replica lag {0 if lag is None else lag:.1f} s", details=details)]


def redis_ping(name: str, url: str) -> CheckResult:
    from npcadmin.redis_topology import client_for

    client = client_for(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except Exception as exc:
        return CheckResult(name, ERROR, f"unreachable: {short_error(exc)}")
    finally:
        client.close()
    return CheckResult(name, OK, "PING ok")


def check_redis_cache() -> CheckResult:
    """The Redis behind the cache and the channel layer (`REDIS_URL`)."""
    return redis_ping("redis:cache", settings.REDIS_URL)


def check_channel_layer() -> CheckResult:
    """Send a message to a fresh channel and receive it back."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return CheckResult("channels", ERROR, "no channel layer configured (CHANNEL_LAYERS)")
    timeout = _timeout() * 0.8

    async def round_trip():
        nonce = uuid.uuid4().hex
        try:
            channel = await layer.new_channel("healthz.")
            await layer.send(channel, {"type": "health.ping", "nonce": nonce})
            message = await asyncio.wait_for(layer.receive(channel), timeout)
        finally:
            close = getattr(layer, "close_pools", None)
            if close is not None:
                await close()
        return message.get("nonce") == nonce

    try:
        # A private event loop: channels-redis pools are bound to the loop they were made in.
        same = asyncio.run(round_trip())
    except Exception as exc:
        return CheckResult("channels", ERROR, f"send/receive failed: {short_error(exc)}")
    if not same:
        return CheckResult("channels", ERROR, "received a different message than was sent")
    return CheckResult("channels", OK, f"send/receive ok ({layer.__class__.__name__})")


def builtin_checks() -> list[HealthCheck]:
    """The infrastructure's checks; one per database alias, so one hung world cannot hide the others."""
    databases = [HealthCheck(f"database:{alias}", functools.partial(check_database, alias),
                             cheap=alias == "default", essential=alias == "default")
                 for alias in database_aliases()]
    return [
        *databases,
        HealthCheck("replica_lag", check_replica_lag),
        HealthCheck("redis:cache", check_redis_cache, cheap=True),
        HealthCheck("channels", check_channel_layer),
    ]


_discovered = False


def discover() -> None:
    """Import every installed app's `health.py` once, so its checks register themselves."""
    global _discovered
    if not _discovered:
        autodiscover_modules("health")
        _discovered = True


def all_checks() -> list[HealthCheck]:
    """The infrastructure's checks, then the apps' (in `INSTALLED_APPS` order)."""
    discover()
    with _registry_lock:
        return [*builtin_checks(), *_registered]


# --- running ----------------------------------------------------------------------------------


def _timeout() -> float:
    return float(getattr(settings, "NPCADMIN_HEALTH_TIMEOUT", 3.0))


def _run_one(check: HealthCheck) -> list[CheckResult]:
    started = time.monotonic()
    try:
        outcome = check.func()
    except Exception as exc:
        outcome = CheckResult(check.name, ERROR, f"check failed: {short_error(exc)}")
    finally:
        # Connections opened by this worker thread must not outlive it.
        connections.close_all()
    results = [outcome] if isinstance(outcome, CheckResult) else list(outcome)
    elapsed = (time.monotonic() - started) * 1000
    for result in results:
        result.duration_ms = result.duration_ms or elapsed / max(len(results), 1)
    return results


def run_checks(checks: Iterable[HealthCheck] | None = None, *, timeout: float | None = None) -> list[CheckResult]:
    """Run checks concurrently, each bounded by `timeout` seconds; results in the checks' order."""
    checks = list(all_checks() if checks is None else checks)
    timeout = _timeout() if timeout is None else timeout
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(len(checks), 1), thread_name_prefix="healthz")
    try:
        futures = [(check, pool.submit(_run_one, check)) for check in checks]
        deadline = time.monotonic() + timeout
        results: list[CheckResult] = []
        for check, future in futures:
            try:
                results.extend(future.result(timeout=max(deadline - time.monotonic(), 0)))
            except concurrent.futures.TimeoutError:
                results.append(CheckResult(check.name, ERROR, f"timed out after {timeout:g} s",
                                           duration_ms=timeout * 1000))
        return results
    finally:
        # Never wait for a hung check: its thread ends when its driver's own timeout fires.
        pool.shutdown(wait=False, cancel_futures=True)


def overall_status(results: Iterable[CheckResult]) -> str:
    worst = max((_SEVERITY[r.status] for r in results), default=0)
    return {0: OK, 1: WARNING, 2: ERROR}[worst]


def probe_status(results: Iterable[CheckResult]) -> str:
    """The load balancer's view: error only when an essential check failed, else ok or degraded."""
    results = list(results)
    essential = {c.name for c in all_checks() if c.essential}
    if any(r.status == ERROR and r.name in essential for r in results):
        return ERROR
    return OK if all(r.status == OK for r in results) else DEGRADED


_cache_lock = threading.Lock()
_cached: dict[bool, tuple[float, list[CheckResult]]] = {}


def cached_run(*, full: bool) -> list[CheckResult]:
    """`run_checks` for the HTTP probe, reusing a result for `NPCADMIN_HEALTH_CACHE_SECONDS`.

    Probes from several load balancers (and anyone on the internet: the endpoint has no
    authentication) then cost at most one run per interval.
    """
    ttl = float(getattr(settings, "NPCADMIN_HEALTH_CACHE_SECONDS", 2.0))
    now = time.monotonic()
    with _cache_lock:
        hit = _cached.get(full)
        if hit and now - hit[0] < ttl:
            return hit[1]
    checks = [c for c in all_checks() if full or c.cheap]
    results = run_checks(checks)
    with _cache_lock:
        _cached[full] = (time.monotonic(), results)
    return results
