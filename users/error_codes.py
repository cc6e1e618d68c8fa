"""The users domain's error codes: accounts, sign-in, profiles, follows, blocks,
suspensions.

Generic refusals (`not_found`, `permission_denied`, ...) use `core.error_codes`.
"""

# Registration and profile.
USERNAME_TAKEN = "username_taken"
EMAIL_TAKEN = "email_taken"
INVALID_USERNAME = "invalid_username"
PASSWORD_MISMATCH = "password_mismatch"
WRONG_PASSWORD = "wrong_password"

# Sign-in and tokens.
INVALID_CREDENTIALS = "invalid_credentials"
EMAIL_NOT_VERIFIED = "email_not_verified"
EMAIL_REQUIRED = "email_required"
TOKEN_NOT_VALID = "token_not_valid"
ACCOUNT_INACTIVE = "account_inactive"
ACCOUNT_SUSPENDED = "account_suspended"
USER_NOT_FOUND = "user_not_found"
SOCIAL_LOGIN_DISABLED = "social_login_disabled"
SOCIAL_LOGIN_NOT_CONFIGURED = "social_login_not_configured"
SOCIAL_PROVIDER_UNAVAILABLE = "social_provider_unavailable"
# A refresh token taken from the web-session cookie without the CSRF token.
CSRF_FAILED = "csrf_failed"

# Password reset links.
INVALID_UID = "invalid_uid"
INVALID_TOKEN = "invalid_token"
# 503: the mail could not be queued (the task broker is down); nothing was sent.
PASSWORD_RESET_UNAVAILABLE = "password_reset_unavailable"

# Follows, blocks, suspensions.
CANNOT_FOLLOW_SELF = "cannot_follow_self"
CANNOT_BLOCK_SELF = "cannot_block_self"
USER_BLOCKED = "user_blocked"
CANNOT_SUSPEND_SELF = "cannot_suspend_self"
NAIVE_DATETIME = "naive_datetime"
