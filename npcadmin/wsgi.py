"""WSGI entry point (HTTP only; live pages need the ASGI one)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")
application = get_wsgi_application()
