"""The notifications' error codes (preferences).

Generic refusals (`not_found` for another user's notification or device,
`invalid_cursor`, ...) use `core.error_codes`.
"""

UNKNOWN_KIND = "unknown_kind"
UNKNOWN_CHANNEL = "unknown_channel"
