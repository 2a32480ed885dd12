"""Logging filters named in settings.LOGGING."""

from __future__ import annotations

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """A 4xx (a 403 for a role that may not act, a 404 for another account's object) is the
    site answering as designed: one warning line that says why, not a traceback.

    Django logs a PermissionDenied on django.request with the exception attached; the line
    keeps its message and loses the stack. Errors (5xx) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500 and record.exc_info:
            reason = str(record.exc_info[1] or "")
            if reason and isinstance(record.args, tuple):
                record.msg = f"{record.msg} (%s)"
                record.args = (*record.args, reason)
            record.exc_info = None
            record.exc_text = None
        return True
