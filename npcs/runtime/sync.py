"""A synchronous facade over `RuntimeClient` for Django views and management commands.

One implementation serves both worlds: the facade runs the async client's coroutines on one
private event loop in a daemon thread (per process), so connections are pooled and reused
across requests, and every call is bounded by a deadline. Any sign that Redis is down or slow
becomes `RuntimeUnavailable`, which views turn into a "Redis unavailable" banner.

    runtime = SyncRuntime()
    runtime.queue_depths()          # same methods as RuntimeClient, without await
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from redis.exceptions import RedisError

from npcs.runtime.client import UNAVAILABLE_ERRORS, RuntimeClient, RuntimeUnavailable, get_client, runtime_timeout

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    with _lock:
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="npcadmin-runtime-redis", daemon=True)
            thread.start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def run(call: Callable[[RuntimeClient], Coroutine[Any, Any, Any]], *, url: str | None = None,
        deadline: float | None = None) -> Any:
    """Run `call(client)` on the runtime loop and wait at most `deadline` seconds for it."""
    deadline = deadline if deadline is not None else max(2.0, 5 * runtime_timeout())

    async def runner():
        return await call(get_client(url))

    future = asyncio.run_coroutine_threadsafe(runner(), _background_loop())
    try:
        return future.result(timeout=deadline)
    except TimeoutError as exc:  # concurrent.futures.TimeoutError is TimeoutError since 3.11
        future.cancel()
        raise RuntimeUnavailable(f"Redis did not answer within {deadline:.1f}s") from exc
    except UNAVAILABLE_ERRORS as exc:
        raise RuntimeUnavailable(str(exc) or exc.__class__.__name__) from exc
    except RedisError as exc:  # e.g. WRONGTYPE: a key the engine wrote in another shape
        raise RuntimeUnavailable(f"Redis error: {exc}") from exc


class SyncRuntime:
    """`RuntimeClient`'s methods, called synchronously (`SyncRuntime().peek(5, count=3)`)."""

    def __init__(self, url: str | None = None, *, deadline: float | None = None):
        self.url = url
        self.deadline = deadline

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(RuntimeClient, name, None)
        if method is None or name.startswith("_") or not inspect.iscoroutinefunction(method):
            raise AttributeError(name)

        def call(*args, **kwargs):
            return run(lambda client: getattr(client, name)(*args, **kwargs), url=self.url, deadline=self.deadline)

        call.__name__ = name
        call.__doc__ = method.__doc__
        return call
