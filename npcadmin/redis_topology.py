"""Redis behind Sentinel: the same `REDIS_URL`, resolved through `REDIS_SENTINELS`.

With `REDIS_SENTINELS=host1:26379,host2:26379` the host part of `REDIS_URL` is the name
Sentinel knows the master by (`redis://:password@mymaster/0`); the cache (django-redis),
the channel layer (channels-redis) and the health checks then ask the sentinels where the
master is, and follow a failover by themselves. See docs/scaling.md.
"""

from __future__ import annotations

from urllib.parse import unquote, urlparse


def parse_sentinels(entries: list[str]) -> list[tuple[str, int]]:
    """`host:port` strings (port 26379 when left out) as the (host, port) pairs clients want."""
    pairs = []
    for entry in entries:
        host, _, port = entry.strip().rpartition(":") if ":" in entry else (entry.strip(), ":", "26379")
        pairs.append((host.strip("[]"), int(port)))
    return pairs


def master_params(url: str) -> dict:
    """Master name, database number and password from a `redis://[:password@]master/db` URL."""
    parsed = urlparse(url)
    db = parsed.path.lstrip("/") or "0"
    return {"master_name": parsed.hostname, "db": int(db),
            "password": unquote(parsed.password) if parsed.password else None}


def apply_sentinel(*, caches: dict, channel_layers: dict, redis_url: str, sentinels: list[tuple[str, int]]) -> None:
    """Rewrite the cache and channel-layer settings (in place) to find the master through Sentinel."""
    params = master_params(redis_url)
    options = caches["default"]["OPTIONS"]
    options["CLIENT_CLASS"] = "django_redis.client.SentinelClient"
    options["CONNECTION_FACTORY"] = "django_redis.pool.SentinelConnectionFactory"
    options["CONNECTION_POOL_CLASS"] = "redis.sentinel.SentinelConnectionPool"
    options["SENTINELS"] = sentinels
    options.setdefault("SENTINEL_KWARGS", {"socket_timeout": 1})
    caches["default"]["LOCATION"] = redis_url
    host = {"sentinels": sentinels, "master_name": params["master_name"], "db": params["db"],
            "sentinel_kwargs": {"socket_timeout": 1}}
    if params["password"]:
        host["password"] = params["password"]
    channel_layers["default"]["CONFIG"]["hosts"] = [host]


def client_for(url: str, **kwargs):
    """A synchronous redis-py client for `url`, through Sentinel when `REDIS_SENTINELS` is configured."""
    import redis
    from django.conf import settings

    sentinels = getattr(settings, "REDIS_SENTINELS", None)
    if sentinels and urlparse(url).hostname == master_params(settings.REDIS_URL)["master_name"]:
        from redis.sentinel import Sentinel

        params = master_params(url)
        sentinel = Sentinel(sentinels, sentinel_kwargs={"socket_timeout": kwargs.get("socket_timeout", 1)}, **kwargs)
        return sentinel.master_for(params["master_name"], db=params["db"], password=params["password"])
    return redis.Redis.from_url(url, **kwargs)
