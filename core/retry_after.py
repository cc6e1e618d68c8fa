"""Reading a `Retry-After` header an upstream service sent (RFC 9110 section 10.2.3)."""

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date.

    None when absent or unreadable; a date in the past means no wait.
    """
    value = (value or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": the RFC's way of saying UTC
        when = when.replace(tzinfo=UTC)
    # HTTP-dates have whole seconds: round up so the wait is never cut short.
    return float(max(0, math.ceil((when - (now or datetime.now(UTC))).total_seconds())))
