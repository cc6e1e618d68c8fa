"""Error codes that belong to no one domain: the ones DRF and Django use for the
same refusal (so a service's "no such post" and a view's 404 answer alike), the
request and upload checks of `core`, and pagination.

Each app keeps its own codes in its `error_codes.py`; services raise
`core.exceptions.DomainError` with one of them, and the schema lists every one
(tests/core/test_error_codes.py checks both).
"""

# Generic, as DRF names them.
BLANK = "blank"
REQUIRED = "required"
MAX_LENGTH = "max_length"
INVALID_CHOICE = "invalid_choice"
DOES_NOT_EXIST = "does_not_exist"
NOT_FOUND = "not_found"
PERMISSION_DENIED = "permission_denied"
NOT_FUTURE = "not_future"

# Requests and uploads (core.errors, core.media).
SERVER_ERROR = "error"  # a 500 under /api/, Django's own handler500
BAD_REQUEST = "bad_request"
REQUEST_TOO_LARGE = "request_too_large"
FILE_TOO_LARGE = "file_too_large"
IMAGE_TOO_LARGE = "image_too_large"
INVALID_IMAGE = "invalid_image"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"

# Pagination (core.pagination).
INVALID_CURSOR = "invalid_cursor"
