"""The staff app's error codes (generic refusals use `core.error_codes`)."""

# GET /api/v1/admin/stats/?days=... out of 1..90 (staff.views).
INVALID_DAYS = "invalid_days"
