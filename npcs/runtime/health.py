"""Health check of the engine's Redis (registered with npcadmin.health)."""

from __future__ import annotations

from django.conf import settings

from npcadmin import health


@health.register(name="redis:runtime")
def check_redis_runtime() -> list[health.CheckResult]:
    """The engine's Redis (`NPCADMIN_RUNTIME_REDIS_URL`), when it is not the same as `REDIS_URL`
    (then the infrastructure's `redis:cache` check already covers it)."""
    url = getattr(settings, "NPCADMIN_RUNTIME_REDIS_URL", settings.REDIS_URL)
    if url == settings.REDIS_URL:
        return []
    return [health.redis_ping("redis:runtime", url)]
