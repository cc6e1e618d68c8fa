"""Reading the Retry-After an upstream service sends (FCM, Google)."""

from datetime import UTC, datetime

import pytest

from core.retry_after import parse_retry_after

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("120", 120),
        (" 0 ", 0),
        ("Sat, 01 Mar 2025 12:01:30 GMT", 90),
        ("Saturday, 01-Mar-25 12:01:30 GMT", 90),  # the obsolete RFC 850 form
        ("Sat, 01 Mar 2025 11:00:00 GMT", 0),  # already past: no wait
        (None, None),
        ("", None),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
    ],
)
def test_retry_after_header_values(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds
