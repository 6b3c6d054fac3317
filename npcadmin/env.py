"""The one `environ.Env` of the project and the service URLs it resolves.

Every setting is read here or in `settings/base.py`; see the README's variable table.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from urllib.parse import unquote

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    environ.Env.read_env(str(BASE_DIR / ".env"))

WORLD_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")

# Private services' data and seed_demo's admin password (npcadmin/devservices.py uses it too).
DATA_DIR = Path(env.str("NPCADMIN_DATA_DIR", default=str(BASE_DIR / ".data")))

# The service URLs production cannot start without (settings/production.py checks them first).
REQUIRED_IN_PRODUCTION = ("DATABASE_URL", "REDIS_URL")


def require_service_urls() -> None:
    """Fail closed: production names the first missing service URL instead of starting the
    private development servers (which are development dependencies, absent there)."""
    from django.core.exceptions import ImproperlyConfigured

    for name in REQUIRED_IN_PRODUCTION:
        if not env.str(name, default=""):
            raise ImproperlyConfigured(
                f"{name} must be set in production (the private development servers never start there)."
            )


def database_url() -> str:
    """`DATABASE_URL`, or the private PostgreSQL when it is unset."""
    url = env.str("DATABASE_URL", default="")
    if url:
        return url
    from npcadmin.devservices import ensure_postgres

    return ensure_postgres()


def db_config(url: str) -> dict:
    """Django DATABASES entry for a URL; a percent-encoded host is a Unix socket directory."""
    config = environ.Env.db_url_config(url)
    if config.get("HOST", "").startswith("%2F"):
        config["HOST"] = unquote(config["HOST"])
    return config


def redis_url() -> str:
    """`REDIS_URL`, or the private Redis when it is unset."""
    url = env.str("REDIS_URL", default="")
    if url:
        return url
    from npcadmin.devservices import ensure_redis

    return ensure_redis()


def trusted_proxies() -> list[str]:
    """`NPCADMIN_TRUSTED_PROXIES`: addresses or networks whose `X-Forwarded-For` is believed."""
    import ipaddress

    proxies = [p.strip() for p in env.list("NPCADMIN_TRUSTED_PROXIES", default=[]) if p.strip()]
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise environ.ImproperlyConfigured(
                f"NPCADMIN_TRUSTED_PROXIES: {proxy!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
            ) from None
    return proxies


def world_ids() -> list[str]:
    """Game worlds from `NPCADMIN_WORLDS` (comma separated, lower-case ids)."""
    worlds = [w.strip() for w in env.list("NPCADMIN_WORLDS", default=["testworld", "demo"]) if w.strip()]
    for world in worlds:
        if not WORLD_ID_RE.match(world):
            raise environ.ImproperlyConfigured(
                f"NPCADMIN_WORLDS: {world!r} is not a valid world id "
                "(lower-case letters, digits and _; starting with a letter; at most 50)"
            )
    if len(set(worlds)) != len(worlds):
        raise environ.ImproperlyConfigured(f"NPCADMIN_WORLDS lists a world twice: {worlds}")
    return worlds


def world_database(world: str, global_db: dict) -> dict:
    """`WORLD_<ID>_DATABASE_URL`, or a database named after the world on the global server."""
    url = env.str(f"WORLD_{world.upper()}_DATABASE_URL", default="")
    if url:
        return db_config(url)
    config = copy.deepcopy(global_db)  # never share OPTIONS with the global database
    config["NAME"] = world
    config.pop("TEST", None)  # the test database is named after the world's own, never the global one's
    config.get("OPTIONS", {}).pop("connect_timeout", None)  # a world gets its own, shorter timeout
    return config


def world_databases(worlds: list[str], global_db: dict, connect_timeout: int) -> dict[str, dict]:
    """DATABASES entries `world_<id>` for the worlds: a world that is down fails fast."""
    databases = {}
    for world in worlds:
        config = world_database(world, global_db)
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", connect_timeout)
        config["CONN_HEALTH_CHECKS"] = True
        databases[f"world_{world}"] = config
    return databases
