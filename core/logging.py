import logging

from . import request_id


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record so the format string can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True
