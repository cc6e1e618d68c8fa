"""Auth endpoints: dj-rest-auth and SimpleJWT views, set up for this API.

Each view sets its throttle scope (settings.REST_FRAMEWORK
["DEFAULT_THROTTLE_RATES"]), its OpenAPI description and the project's rules:
JWT only (no session), refresh tokens rotated and the used one revoked, suspended
or inactive users refused everywhere, errors in the one error shape.
"""

from __future__ import annotations

from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialApp
from dj_rest_auth.registration.serializers import (
    ResendEmailVerificationSerializer,
    VerifyEmailSerializer,
)
from dj_rest_auth.registration.views import (
    RegisterView as _RegisterView,
)
from dj_rest_auth.registration.views import (
    ResendEmailVerificationView as _ResendEmailVerificationView,
)
from dj_rest_auth.registration.views import (
    SocialLoginView,
)
from dj_rest_auth.registration.views import (
    VerifyEmailView as _VerifyEmailView,
)
from dj_rest_auth.utils import jwt_encode
from dj_rest_auth.views import LoginView as _LoginView
from dj_rest_auth.views import LogoutView as _LogoutView
from dj_rest_auth.views import PasswordChangeView as _PasswordChangeView
from dj_rest_auth.views import PasswordResetConfirmView as _PasswordResetConfirmView
from dj_rest_auth.views import PasswordResetView as _PasswordResetView
from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ImproperlyConfigured, MultipleObjectsReturned
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken
from rest_framework_simplejwt.views import TokenRefreshView as _TokenRefreshView
from rest_framework_simplejwt.views import TokenVerifyView as _TokenVerifyView

from core import error_codes as core_codes
from core.schema import error_response

from . import error_codes, sessions, web_session
from .auth import plain_auth_error, refuse_unless_can_authenticate
from .models import User
from .openapi import (
    JANE,
    JWT_ACCESS,
    JWT_REFRESH,
    TOKENS_EXAMPLE,
    AuthErrorResponse401Serializer,
    SocialLoginDisabledResponseSerializer,
    SocialLoginUnavailableResponseSerializer,
    detail_example,
)
from .serializers import (
    AuthTokensSerializer,
    DetailSerializer,
    GoogleLoginSerializerDoc,
    LoginSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    RefreshRequestSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    TokenVerifyRequestSerializer,
)
from .social import GoogleOAuth2Adapter, GoogleOAuth2Client, SocialProviderUnavailable

TAGS = ["auth"]
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


def _detail(message: str) -> Response:
    return Response({"detail": message}, status=status.HTTP_200_OK)


def issue_tokens(user: User) -> tuple[str, str]:
    """A new (access, refresh) pair for a user allowed in; records the login."""
    refuse_unless_can_authenticate(user)
    access, refresh = jwt_encode(user)
    update_last_login(None, user)
    return str(access), str(refresh)


class TokenLoginMixin:
    """dj-rest-auth's LoginView, answering {access, refresh, user} from our serializer."""

    def get_authenticate_header(self, request) -> str:
        # No authenticators on login views, yet a refused account is a 401 (DRF
        # would turn it into a 403 without this header).
        return 'Bearer realm="api"'

    def login(self):
        self.user = self.serializer.validated_data["user"]
        self.access_token, self.refresh_token = issue_tokens(self.user)

    def get_response(self):
        data = {"access": self.access_token, "refresh": self.refresh_token, "user": self.user}
        response = Response(AuthTokensSerializer(data, context=self.get_serializer_context()).data)
        if web_session.wants_cookie(self.request):
            web_session.deliver(self.request, response)
        return response


# --- registration -----------------------------------------------------------


@extend_schema(
    tags=TAGS,
    summary="Create an account",
    description=(
        "Email (case-insensitive, stored lower-case), password twice, optional "
        "`username` (a handle is generated from the email when absent) and "
        "`display_name`. Answers the tokens and the user; when email verification "
        "is mandatory it answers only a `detail` and sends the verification email."
    ),
    request=RegisterSerializer,
    parameters=[SESSION_COOKIE],
    responses={
        201: PolymorphicProxySerializer(
            component_name="RegistrationResponse",
            serializers=[AuthTokensSerializer, DetailSerializer],
            resource_type_field_name=None,
        )
    },
    examples=[
        OpenApiExample(
            "Register",
            value={
                "email": JANE["email"],
                "password1": "correct horse battery staple",
                "password2": "correct horse battery staple",
                "username": JANE["username"],
                "display_name": JANE["display_name"],
            },
            request_only=True,
        ),
        TOKENS_EXAMPLE,
    ],
)
@extend_validation_errors([error_codes.EMAIL_TAKEN], field_name="email")
@extend_validation_errors(
    [error_codes.USERNAME_TAKEN, error_codes.INVALID_USERNAME], field_name="username"
)
@extend_validation_errors([error_codes.PASSWORD_MISMATCH], field_name="password2")
@extend_validation_errors([*NEW_PASSWORD_CODES, "password_too_similar"], field_name="password1")
class RegisterView(_RegisterView):
    serializer_class = RegisterSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "registration"

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.save(request)
        verification = allauth_settings.EMAIL_VERIFICATION
        if verification != allauth_settings.EmailVerificationMethod.NONE:
            address = EmailAddress.objects.get_primary(user)
            address.send_confirmation(request._request, signup=True)
        if verification == allauth_settings.EmailVerificationMethod.MANDATORY:
            return Response({"detail": "Verification email sent."}, status=status.HTTP_201_CREATED)
        access, refresh = issue_tokens(user)
        data = {"access": access, "refresh": refresh, "user": user}
        response = Response(
            AuthTokensSerializer(data, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
        if web_session.wants_cookie(request):
            web_session.deliver(request, response)
        return response


@extend_schema(
    tags=TAGS,
    summary="Verify an email address",
    description="`key` from the link of the verification email.",
    request=VerifyEmailSerializer,
    responses={200: DetailSerializer},
    examples=[
        OpenApiExample(
            "Key from the email",
            value={"key": "MQ:1xUr1t:9Vj82VrUlncogJ8DfNAWTnh_mWz19zPYCqejuRTol64"},
            request_only=True,
        ),
        detail_example("Email address verified.", "Verified"),
    ],
)
class VerifyEmailView(_VerifyEmailView):
    http_method_names = ["post", "options"]
    authentication_classes: list = []
    throttle_scope = None

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        return _detail("Email address verified.") if response.status_code == 200 else response


@extend_schema(
    tags=TAGS,
    summary="Send the verification email again",
    description="Answers 200 whether or not the address has an unverified account.",
    request=ResendEmailVerificationSerializer,
    responses={200: DetailSerializer},
    examples=[
        OpenApiExample("Resend", value={"email": JANE["email"]}, request_only=True),
        detail_example("ok", "Queued"),
    ],
)
class ResendEmailVerificationView(_ResendEmailVerificationView):
    authentication_classes: list = []
    throttle_scope = "registration"


# --- login, tokens, logout --------------------------------------------------


@extend_schema(
    tags=TAGS,
    summary="Log in with email and password",
    description=(
        "The email is matched case-insensitively. Wrong credentials answer 400 "
        "`invalid_credentials`; a suspended or inactive account 401 "
        "`account_suspended` / `account_inactive`; an unverified email (when "
        "verification is mandatory) 400 `email_not_verified`."
    ),
    request=LoginSerializer,
    parameters=[SESSION_COOKIE],
    responses={200: AuthTokensSerializer, 401: UNAUTHORIZED},
    examples=[
        OpenApiExample(
            "Login",
            value={"email": JANE["email"], "password": "correct horse battery staple"},
            request_only=True,
        ),
        TOKENS_EXAMPLE,
    ],
)
@extend_validation_errors(
    [error_codes.INVALID_CREDENTIALS, error_codes.EMAIL_NOT_VERIFIED], field_name="non_field_errors"
)
class LoginView(TokenLoginMixin, _LoginView):
    serializer_class = LoginSerializer
    authentication_classes: list = []
    throttle_scope = "login"
    email_throttle_scope = "login_account"


class RotatingRefreshSerializer(TokenRefreshSerializer):
    """SimpleJWT's refresh with rotation made race-free: of two requests presenting the
    same refresh token at once, only the one that blacklists it first gets new tokens."""

    def validate(self, attrs):
        # Signature and expiry first, then the account (so a suspended user hears
        # why, even though suspension also revoked the token), then revocation.
        untyped = UntypedToken(attrs["refresh"])
        user = User.objects.filter(pk=untyped.payload.get(jwt_settings.USER_ID_CLAIM)).first()
        refuse_unless_can_authenticate(user)
        refresh = RefreshToken(attrs["refresh"])
        with transaction.atomic():
            _, newly_blacklisted = refresh.blacklist()
        if not newly_blacklisted:
            raise TokenError("Token is blacklisted")
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh.outstand()
        return {"access": str(refresh.access_token), "refresh": str(refresh)}


class PlainTokenErrorsMixin:
    """SimpleJWT errors as one error each (see users.auth.plain_auth_error)."""

    def post(self, request, *args, **kwargs):
        data, from_cookie = self.token_data(request)
        serializer = self.get_serializer(data=data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(
                str(exc), code=error_codes.TOKEN_NOT_VALID
            ) from exc
        except exceptions.APIException as exc:
            raise plain_auth_error(exc) from exc
        return self.finish(request, Response(serializer.validated_data), from_cookie)

    def token_data(self, request) -> tuple:
        return request.data, False

    def finish(self, request, response: Response, from_cookie: bool) -> Response:
        return response


@extend_schema(
    tags=TAGS,
    summary="Exchange a refresh token for new tokens",
    description=(
        "Answers a new access token and a new refresh token; the refresh token sent "
        "is revoked, so using it again answers 401 `token_not_valid`. Suspended or "
        "inactive accounts answer 401 `account_suspended` / `account_inactive`."
    ),
    request=RefreshRequestSerializer,
    parameters=[SESSION_COOKIE],
    responses={200: TokenPairSerializer, 401: UNAUTHORIZED, 403: CSRF_FAILED},
    examples=[
        OpenApiExample("Refresh", value={"refresh": JWT_REFRESH}, request_only=True),
        OpenApiExample(
            "New tokens", value={"access": JWT_ACCESS, "refresh": JWT_REFRESH}, response_only=True
        ),
    ],
)
@extend_validation_errors([core_codes.REQUIRED], field_name="refresh")
class TokenRefreshView(PlainTokenErrorsMixin, _TokenRefreshView):
    serializer_class = RotatingRefreshSerializer
    throttle_scope = "token_refresh"

    def token_data(self, request) -> tuple:
        # The body's token (mobile) first; else the web session's cookie, CSRF-checked.
        return web_session.refresh_from_request(request)

    def finish(self, request, response: Response, from_cookie: bool) -> Response:
        if from_cookie or web_session.wants_cookie(request):
            web_session.deliver(request, response)
        return response


@extend_schema(
    tags=TAGS,
    summary="Check that a token is valid",
    description="200 with an empty object when valid; 401 `token_not_valid` otherwise.",
    request=TokenVerifyRequestSerializer,
    responses={200: OpenApiResponse(description="The token is valid."), 401: UNAUTHORIZED},
    examples=[OpenApiExample("Access token", value={"token": JWT_ACCESS}, request_only=True)],
)
class TokenVerifyView(PlainTokenErrorsMixin, _TokenVerifyView):
    pass


@extend_schema(
    tags=TAGS,
    summary="Log out (revoke a refresh token)",
    description=(
        "Ends the session of the given refresh token of the caller: the refresh "
        "token and every access token issued with it are refused from now on "
        "(401 `token_not_valid`, also at the socket handshake and on `auth.refresh`), "
        "and that session's open sockets are closed with 4003. The caller's other "
        "sessions (devices) stay signed in."
    ),
    request=LogoutSerializer,
    responses={200: DetailSerializer, 403: CSRF_FAILED},
    examples=[
        OpenApiExample("Logout", value={"refresh": JWT_REFRESH}, request_only=True),
        detail_example("Logged out.", "Logged out"),
    ],
)
@extend_validation_errors([error_codes.TOKEN_NOT_VALID, core_codes.REQUIRED], field_name="refresh")
class LogoutView(_LogoutView):
    http_method_names = ["post", "options"]
    permission_classes = [IsAuthenticated]
    serializer_class = LogoutSerializer
    throttle_scope = None

    def get_serializer(self, *args, **kwargs):
        return self.serializer_class(*args, **kwargs)

    def post(self, request, *args, **kwargs):
        data, from_cookie = web_session.refresh_from_request(request)
        serializer = self.get_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        if not serializer.validated_data.get("refresh"):  # neither in the body nor a cookie
            raise exceptions.ValidationError(
                {"refresh": [ErrorDetail("This field is required.", code=core_codes.REQUIRED)]}
            )
        refused = exceptions.ValidationError(
            {
                "refresh": [
                    ErrorDetail(
                        "Invalid or revoked refresh token.", code=error_codes.TOKEN_NOT_VALID
                    )
                ]
            }
        )
        try:
            token = RefreshToken(serializer.validated_data["refresh"])
        except TokenError as exc:
            raise refused from exc
        if str(token.payload.get(jwt_settings.USER_ID_CLAIM)) != str(request.user.pk):
            raise refused
        token.blacklist()
        sessions.end_session(user=request.user, refresh=token, access=request.auth)
        response = _detail("Logged out.")
        return web_session.forget(response) if from_cookie else response


# --- passwords --------------------------------------------------------------


@extend_schema(
    tags=TAGS,
    summary="Change your password",
    request=PasswordChangeSerializer,
    responses={200: DetailSerializer},
    examples=[
        OpenApiExample(
            "Change",
            value={
                "old_password": "correct horse battery staple",
                "new_password1": "a new long passphrase",
                "new_password2": "a new long passphrase",
            },
            request_only=True,
        ),
        detail_example("Password changed.", "Changed"),
    ],
)
@extend_validation_errors([error_codes.WRONG_PASSWORD], field_name="old_password")
@extend_validation_errors(
    [error_codes.PASSWORD_MISMATCH, *NEW_PASSWORD_CODES],
    field_name="new_password2",
)
class PasswordChangeView(_PasswordChangeView):
    serializer_class = PasswordChangeSerializer
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        super().post(request, *args, **kwargs)
        return _detail("Password changed.")


@extend_schema(
    tags=TAGS,
    summary="Email a password reset link",
    description=(
        "Always answers 200, whether or not the address has an account: the request "
        "only queues the mail, and a background task looks the address up (a "
        "look-alike of an account's address finds that account) and sends it to the "
        "account's own address, so the answer's timing tells nothing either. The email "
        "links to `FRONTEND_URL/reset-password?uid=...&token=...`; the frontend posts "
        "both to `password/reset/confirm/`."
    ),
    request=PasswordResetSerializer,
    responses={200: DetailSerializer},
    examples=[
        OpenApiExample("Reset", value={"email": JANE["email"]}, request_only=True),
        detail_example("If the address has an account, a reset link was sent to it.", "Sent"),
    ],
)
class PasswordResetView(_PasswordResetView):
    serializer_class = PasswordResetSerializer
    authentication_classes: list = []
    throttle_scope = "password_reset"
    email_throttle_scope = "password_reset_email"

    def post(self, request, *args, **kwargs):
        super().post(request, *args, **kwargs)
        return _detail("If the address has an account, a reset link was sent to it.")


@extend_schema(
    tags=TAGS,
    summary="Set a new password with the emailed link",
    description=(
        "`uid` and `token` exactly as in the link. All the account's refresh tokens are revoked."
    ),
    request=PasswordResetConfirmSerializer,
    responses={200: DetailSerializer},
    examples=[
        OpenApiExample(
            "Confirm",
            value={
                "uid": "8d0f6c1e3f4b4c389d552a4f3c1b7e90",
                "token": "c4x3ld-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                "new_password1": "a new long passphrase",
                "new_password2": "a new long passphrase",
            },
            request_only=True,
        ),
        detail_example("Password has been reset.", "Reset"),
    ],
)
@extend_validation_errors([error_codes.INVALID_UID], field_name="uid")
@extend_validation_errors([error_codes.INVALID_TOKEN], field_name="token")
@extend_validation_errors(
    [error_codes.PASSWORD_MISMATCH, *NEW_PASSWORD_CODES],
    field_name="new_password2",
)
class PasswordResetConfirmView(_PasswordResetConfirmView):
    serializer_class = PasswordResetConfirmSerializer
    authentication_classes: list = []
    throttle_scope = None

    def post(self, request, *args, **kwargs):
        super().post(request, *args, **kwargs)
        return _detail("Password has been reset.")


# --- social login -----------------------------------------------------------


class SocialLoginDisabled(exceptions.APIException):
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Social login is not enabled."
    default_code = error_codes.SOCIAL_LOGIN_DISABLED


class SocialLoginNotConfigured(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Social login is enabled but the provider is not configured."
    default_code = error_codes.SOCIAL_LOGIN_NOT_CONFIGURED


@extend_schema(
    tags=TAGS,
    summary="Log in with Google",
    description=(
        "Send the `access_token` (and `id_token`) obtained by the app from Google, or an "
        "authorization `code` (redirect URI: GOOGLE_CALLBACK_URL). Answers like login; "
        "the account is created on first use. A token, id_token or code Google does "
        "not accept answers 400 `invalid_credentials`; a Google address another account "
        "already has, 400 `email_taken` (that account is not linked: log in to it); a "
        "Google account sharing no email, 400 `email_required`. When Google times out, "
        "cannot be reached, or answers 429 or 5xx, the endpoint answers 503 "
        "`social_provider_unavailable`, with a `Retry-After` header (seconds) when "
        "Google sent one (at most SOCIAL_RETRY_AFTER_MAX_SECONDS). Behind "
        "ENABLE_SOCIAL_LOGIN: when off the endpoint answers 404 `social_login_disabled`; "
        "when on without Google credentials (GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET), "
        "503 `social_login_not_configured`."
    ),
    request=GoogleLoginSerializerDoc,
    parameters=[SESSION_COOKIE],
    responses={
        200: AuthTokensSerializer,
        401: UNAUTHORIZED,
        404: OpenApiResponse(SocialLoginDisabledResponseSerializer, description="Switched off."),
        503: OpenApiResponse(
            SocialLoginUnavailableResponseSerializer,
            description=(
                "No Google credentials, or Google unavailable (`Retry-After: <seconds>` "
                "when Google asked to wait)."
            ),
        ),
    },
    examples=[
        OpenApiExample(
            "Token from the app",
            value={"access_token": "ya29.a0Af...", "id_token": "eyJhbGciOiJSUzI1NiJ9..."},
            request_only=True,
        ),
        TOKENS_EXAMPLE,
        OpenApiExample(
            "Google unavailable",
            value={
                "type": "server_error",
                "errors": [
                    {
                        "code": error_codes.SOCIAL_PROVIDER_UNAVAILABLE,
                        "detail": SocialProviderUnavailable.default_detail,
                        "attr": None,
                    }
                ],
            },
            response_only=True,
            status_codes=[503],
        ),
    ],
)
@extend_validation_errors(
    [
        "invalid",
        error_codes.INVALID_CREDENTIALS,
        error_codes.EMAIL_TAKEN,
        error_codes.EMAIL_REQUIRED,
    ],
    field_name="non_field_errors",
)
class GoogleLoginView(TokenLoginMixin, SocialLoginView):
    adapter_class = GoogleOAuth2Adapter
    client_class = GoogleOAuth2Client
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "login"

    @property
    def callback_url(self) -> str | None:
        return settings.GOOGLE_CALLBACK_URL or None

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        finally:
            # allauth records the login in the session; this token API keeps none
            # (no session row, no cookie).
            session = getattr(request._request, "session", None)
            if session is not None:
                session.modified = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method.lower() not in self.http_method_names or not hasattr(
            self, request.method.lower()
        ):
            # A method the route never takes is a 405, switched on or not.
            raise exceptions.MethodNotAllowed(request.method)
        if not settings.ENABLE_SOCIAL_LOGIN:
            raise SocialLoginDisabled()
        try:
            self.adapter_class(request._request).get_provider()
        except (SocialApp.DoesNotExist, MultipleObjectsReturned, ImproperlyConfigured) as exc:
            raise SocialLoginNotConfigured() from exc
