"""The notifications' error codes (preferences, devices).

Generic refusals (`not_found` for another user's notification or device,
`invalid_cursor`, ...) use `core.error_codes`.
"""

UNKNOWN_KIND = "unknown_kind"
UNKNOWN_CHANNEL = "unknown_channel"
# A push token another account registered, without proof of the same install.
DEVICE_TOKEN_TAKEN = "device_token_taken"
