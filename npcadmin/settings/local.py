"""Development: debug on, an insecure key is acceptable."""

from npcadmin.settings.base import *  # noqa: F403
from npcadmin.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")  # noqa: S105
# Serve static files straight from the apps' folders while developing (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
