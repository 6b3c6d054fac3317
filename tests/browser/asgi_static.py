"""The project's ASGI application plus static files, for a daphne subprocess in browser tests."""

import django
from channels.routing import get_default_application
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

django.setup()
application = ASGIStaticFilesHandler(get_default_application())
