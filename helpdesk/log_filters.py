"""Filters of the log's records, named in `settings.LOGGING`."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A request refused with a 4xx (a PermissionDenied, a missing page) is the client's
    business, not a fault of ours: its log line stays, the traceback Django attaches to it
    goes, so a real error's traceback is not lost among them."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info, record.exc_text = None, None
        return True
