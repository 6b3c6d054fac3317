"""Redis caching of dashboard data, keyed by the dashboard and every filter.

A key holds the data behind all charts of one dashboard for one set of filters; its TTL fits the
range (`TimeRange.cache_ttl`: seconds for the last hour, an hour for a closed past range). New
data (ingest, generation, rollup refresh) bumps a version that is part of every key.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache

from analytics.filters import DashboardFilters

CACHE_VERSION_KEY = "analytics:version"


def cache_version() -> int:
    return cache.get_or_set(CACHE_VERSION_KEY, 1, None) or 1


def bump_cache_version() -> None:
    """Make every cached dashboard stale."""
    try:
        cache.incr(CACHE_VERSION_KEY)
    except ValueError:
        cache.set(CACHE_VERSION_KEY, 2, None)


def dashboard_cache_key(dashboard: str, filters: DashboardFilters) -> str:
    return f"{filters.cache_key(dashboard)}:v{cache_version()}"


def cached_dashboard_data(dashboard: str, filters: DashboardFilters, build: Callable[[DashboardFilters], object]):
    """The dashboard's data (its drawn charts) from Redis, or built by `build` and stored for the range's TTL."""
    key = dashboard_cache_key(dashboard, filters)
    data = cache.get(key)
    if data is None:
        data = build(filters)
        cache.set(key, data, filters.time_range.cache_ttl())
    return data
