"""While the database is unreachable, pages answer 503 at once (a proxy or a browser may retry), not a server error."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views import defaults

# Seconds a client is asked to wait: a restarting database is usually back within this.
RETRY_AFTER_SECONDS = 10


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a lost or refused database connection is a 503 with Retry-After; anything else Django's 500."""
    _, error, _ = sys.exc_info()
    if isinstance(error, OperationalError | InterfaceError):
        # Plain text: the error page's template may need the database (site settings, the signed-in user).
        response = HttpResponse(
            "Leadflow cannot reach its database just now. Please try again in a few seconds.\n",
            content_type="text/plain; charset=utf-8",
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)
