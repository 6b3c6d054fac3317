"""Tests: real PostgreSQL and Redis, fast password hashing."""

from npcadmin.settings.base import *  # noqa: F403
from npcadmin.settings.base import env

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="test-only-insecure-key")  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = None  # tests serve static through the finders
# Off, so a test that restores a database sees it back at once; the breaker's tests turn it on.
NPCADMIN_DB_BREAKER_RETRY_SECONDS = 0
