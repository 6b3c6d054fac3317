"""Logging filters of the project (settings.LOGGING)."""

from __future__ import annotations

import logging


class ClientErrorsOnOneLine(logging.Filter):
    """A 4xx answer (403 for a role without the permission, 404) is logged as its one message line.

    Django attaches the PermissionDenied/Http404 exception to the `django.request` record, so each
    refused click wrote a 40-line traceback. Server errors (5xx) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
