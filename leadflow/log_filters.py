"""Logging filters: what the logs keep of expected refusals."""

from __future__ import annotations

import logging

# Answers to a request that was refused as it should be: a line each, no traceback.
REFUSALS = frozenset({400, 403, 404, 405})


class RefusalsWithoutTraceback(logging.Filter):
    """Django logs every 403 with the PermissionDenied's traceback: a refusal is no error, so one line is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in REFUSALS:
            record.exc_info = None
            record.exc_text = None
        return True
