"""Production: refuses to start without a real secret key or a service URL; HTTPS only, HSTS, CSP, WhiteNoise.

`manage.py check --deploy` reports nothing with these settings (tests/npcadmin/test_security.py).
Behind a TLS-terminating load balancer set `X-Forwarded-Proto`; the probe `/healthz` is
exempt from the HTTPS redirect so the balancer can call it over plain HTTP.
"""

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from npcadmin.env import require_service_urls

# Before base: base would otherwise start the private development servers for a missing URL.
require_service_urls()

from npcadmin.settings.base import *  # noqa: E402, F403
from npcadmin.settings.base import DATABASES, MIDDLEWARE, SECRET_KEY, TEMPLATES, env  # noqa: E402

# Django's own deploy check wants 50+ characters with 5+ distinct ones and no insecure prefix.
if not SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set in production: at least 50 random characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
DEBUG = False  # never from the environment: a debug page leaks settings and SQL

# --- Database connections: a bounded pool per process, not persistent connections ------------
# Under ASGI every request runs its sync code in a thread of its own, so CONN_MAX_AGE > 0
# leaves one idle connection behind per request: the load test exhausted PostgreSQL's
# max_connections ("too many clients") within seconds. Django's psycopg pool hands a
# connection back at the end of each request and bounds the total per worker process.
_POOL_MAX = env.int("DJANGO_DB_POOL_MAX_SIZE", default=10)
for _alias, _config in DATABASES.items():
    _config["CONN_MAX_AGE"] = 0
    _config["OPTIONS"]["pool"] = {
        "min_size": 1 if _alias == "default" else 0,
        "max_size": _POOL_MAX,
        # A world that is down must fail its pages fast, not hold them for psycopg's 30 s default.
        "timeout": env.float("DJANGO_DB_POOL_TIMEOUT", default=5.0),
    }

# --- HTTPS ------------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Sessions and CSRF ------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A game-master console: a working day, not a fortnight (Django's default).
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_COOKIE_NAME = "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"

# --- Content Security Policy (Django's own middleware) ----------------------------------------
# Scripts only from our origin or carrying the per-request nonce: templates write
# `<script nonce="{{ csp_nonce }}">` for inline code. Plotly styles its SVG inline, hence
# 'unsafe-inline' for styles only. DJANGO_CSP_REPORT_ONLY=true reports instead of blocking.
_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],  # includes ws(s):// to our own host (Channels)
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if env.bool("DJANGO_CSP_REPORT_ONLY", default=False):
    SECURE_CSP_REPORT_ONLY = _CSP
else:
    SECURE_CSP = _CSP
MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "django.middleware.csp.ContentSecurityPolicyMiddleware")
TEMPLATES[0]["OPTIONS"]["context_processors"] = [
    *TEMPLATES[0]["OPTIONS"]["context_processors"], "django.template.context_processors.csp"]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
ADMINS = env.list("DJANGO_ADMINS", default=[])  # e-mailed on 500s when EMAIL_* is configured

NPCADMIN_PRODUCTION = True
