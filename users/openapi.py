"""OpenAPI pieces of the users domain: error responses the auth endpoints add, and examples."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from drf_standardized_errors.openapi_serializers import ServerErrorEnum

from core.schema import error_response

from . import error_codes, web_session

AUTH_401_CODES = [
    error_codes.TOKEN_NOT_VALID,
    error_codes.ACCOUNT_INACTIVE,
    error_codes.ACCOUNT_SUSPENDED,
    error_codes.USER_NOT_FOUND,
    "authentication_failed",
    "not_authenticated",
]


AuthErrorResponse401Serializer = error_response(
    "Auth401",
    AUTH_401_CODES,
    "401: the token is invalid, expired or revoked, or the account is inactive or suspended.",
)
SocialLoginDisabledResponseSerializer = error_response(
    "SocialLoginDisabled", [error_codes.SOCIAL_LOGIN_DISABLED], "404: social login is switched off."
)
SocialLoginUnavailableResponseSerializer = error_response(
    "SocialLoginUnavailable",
    [error_codes.SOCIAL_LOGIN_NOT_CONFIGURED, error_codes.SOCIAL_PROVIDER_UNAVAILABLE],
    "503: social login is on but the provider has no credentials, or the provider "
    "timed out, could not be reached or asked to wait (then `Retry-After` says how long).",
    error_type=ServerErrorEnum,
)

PasswordResetUnavailableResponseSerializer = error_response(
    "PasswordResetUnavailable",
    [error_codes.PASSWORD_RESET_UNAVAILABLE],
    "503: the mail could not be queued (the task broker is down); nothing was sent. "
    "Try again in a minute.",
    error_type=ServerErrorEnum,
)

UserBlockedResponseSerializer = error_response(
    "UserBlocked",
    [error_codes.USER_BLOCKED],
    "409: the caller blocked this user; unblock them first.",
)


# --- shared by the auth endpoints (users/views_*.py) ---------------------------

AUTH_TAGS = ["auth"]
# What Django's password validators answer for a weak new password.
NEW_PASSWORD_CODES = ["password_too_short", "password_too_common", "password_entirely_numeric"]
UNAUTHORIZED = OpenApiResponse(
    AuthErrorResponse401Serializer,
    description="Invalid, expired or revoked token, or an inactive or suspended account.",
)


CSRF_FAILED = OpenApiResponse(
    error_response(
        "CsrfFailed",
        [error_codes.CSRF_FAILED],
        "403: the refresh token came from the web-session cookie without a valid "
        "CSRF token (`X-CSRFToken`) or from a foreign origin.",
    ),
    description="Web sessions: the cookie's token without the CSRF token.",
)
SESSION_COOKIE_DOC = """Browsers: `1` (or `true`, `yes`; anything else is no) to receive
the refresh token as an HttpOnly cookie instead of in the body (also `?cookie=1`);
refresh and logout then read it from the cookie and require the CSRF token.
Mobile clients leave it out."""
SESSION_COOKIE = OpenApiParameter(
    web_session.OPT_IN_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=SESSION_COOKIE_DOC,
)


# --- examples ----------------------------------------------------------------
# Shared by the users, forum and notifications schemas, so one person looks the
# same everywhere in the docs.

EXAMPLE_ORIGIN = "https://api.example.org"
# What users without an avatar of their own show (users.avatars).
DEFAULT_AVATAR_URL = f"{EXAMPLE_ORIGIN}/static/users/default-avatar.png"
JANE = {
    "id": "8d0f6c1e-3f4b-4c38-9d55-2a4f3c1b7e90",
    "email": "jane@example.org",
    "username": "jane.doe",
    "display_name": "Jane Doe",
    "avatar_url": f"{EXAMPLE_ORIGIN}/media/avatars/2026/01/5e1c9a7b3d2f4e6a8b0c1d2e3f4a5b6c.jpg",
}
SAM = {
    "id": "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6",
    "email": "sam@example.org",
    "username": "sam_k",
    "display_name": "Sam K.",
    "avatar_url": DEFAULT_AVATAR_URL,
}
MODERATOR = {
    "id": "5b7e2d90-6c1a-4f3e-8b2d-9a0c1e3f5d72",
    "email": "mod@example.org",
    "username": "mod.alex",
    "display_name": "Alex (moderator)",
    "avatar_url": DEFAULT_AVATAR_URL,
}
JWT_ACCESS = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwidXNlcl9pZCI6IjhkMGY2YzFlIn0.sig"
)
JWT_REFRESH = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsInVzZXJfaWQiOiI4ZDBmNmMxZSJ9.sig"
)


def user_summary_example(person: dict = JANE) -> dict:
    """UserSummarySerializer: how content shows its author."""
    return {key: person[key] for key in ("id", "username", "avatar_url")}


def public_user_example(person: dict = JANE, **changes) -> dict:
    """PublicUserSerializer."""
    return {
        "id": person["id"],
        "username": person["username"],
        "display_name": person["display_name"],
        "bio": "Climbs rocks, writes code.",
        "avatar_url": person["avatar_url"],
        "post_count": 12,
        "follower_count": 48,
        "following_count": 31,
        "is_following": True,
        "date_joined": "2026-01-15T09:30:00Z",
        **changes,
    }


def me_example(**changes) -> dict:
    """MeSerializer: Jane's own account."""
    return {
        "id": JANE["id"],
        "email": JANE["email"],
        "username": JANE["username"],
        "display_name": JANE["display_name"],
        "bio": "Climbs rocks, writes code.",
        "avatar_url": JANE["avatar_url"],
        "post_count": 12,
        "follower_count": 48,
        "following_count": 31,
        "is_staff": False,
        "is_moderator": False,
        "date_joined": "2026-01-15T09:30:00Z",
        **changes,
    }


def moderation_state_example(**changes) -> dict:
    """ModerationStateSerializer of Sam, suspended for a week."""
    return {
        "id": SAM["id"],
        "username": SAM["username"],
        "is_active": True,
        "is_suspended": True,
        "suspended_until": "2026-02-01T00:00:00Z",
        "suspension_reason": "Spam",
        **changes,
    }


def detail_example(message: str, name: str = "Done") -> OpenApiExample:
    """DetailSerializer answer."""
    return OpenApiExample(name, value={"detail": message}, response_only=True)


TOKENS_EXAMPLE = OpenApiExample(
    "Tokens",
    value={
        "access": JWT_ACCESS,
        "refresh": JWT_REFRESH,
        "user": me_example(
            bio="", post_count=0, follower_count=0, following_count=0, avatar_url=DEFAULT_AVATAR_URL
        ),
    },
    response_only=True,
)
