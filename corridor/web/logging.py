from __future__ import annotations

import logging


class StripRequestFilter(logging.Filter):
    """Drop the request object Django attaches to log records, so no handler can
    ever print a client address or user agent."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        return True
