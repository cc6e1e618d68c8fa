"""The forum's error codes (posts, comments, media, reports).

Generic refusals (`blank`, `max_length`, `not_found`, `permission_denied`, ...)
use `core.error_codes`.
"""

PROFANITY = "profanity"
TOO_MANY_TAGS = "too_many_tags"
MAX_DEPTH = "max_depth"
TOO_MANY_FILES = "too_many_files"
INVALID_MEDIA = "invalid_media"
INVALID_MEDIA_URL = "invalid_media_url"
CANNOT_REPORT_OWN_CONTENT = "cannot_report_own_content"
ALREADY_REPORTED = "already_reported"
ALREADY_HANDLED = "already_handled"
