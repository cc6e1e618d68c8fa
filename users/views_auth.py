"""Login, tokens and logout: dj-rest-auth and SimpleJWT views, set up for this API.
Registration, passwords and social login are in views_registration.py,
views_password.py and views_social.py; their OpenAPI pieces in openapi.py.

Each view sets its throttle scope (settings.REST_FRAMEWORK
["DEFAULT_THROTTLE_RATES"]), its OpenAPI description and the project's rules:
JWT only (no session), refresh tokens rotated and the used one revoked, suspended
or inactive users refused everywhere, errors in the one error shape.
"""

from __future__ import annotations

from dj_rest_auth.utils import jwt_encode
from dj_rest_auth.views import LoginView as _LoginView
from dj_rest_auth.views import LogoutView as _LogoutView
from django.contrib.auth.models import update_last_login
from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken
from rest_framework_simplejwt.views import TokenRefreshView as _TokenRefreshView
from rest_framework_simplejwt.views import TokenVerifyView as _TokenVerifyView

from core import error_codes as core_codes

from . import error_codes, sessions, web_session
from .auth import plain_auth_error, refuse_unless_can_authenticate
from .models import User
from .openapi import (
    AUTH_TAGS,
    CSRF_FAILED,
    JANE,
    JWT_ACCESS,
    JWT_REFRESH,
    SESSION_COOKIE,
    TOKENS_EXAMPLE,
    UNAUTHORIZED,
    detail_example,
)
from .serializers import (
    AuthTokensSerializer,
    DetailSerializer,
    LoginSerializer,
    LogoutSerializer,
    RefreshRequestSerializer,
    TokenPairSerializer,
    TokenVerifyRequestSerializer,
)


def detail_response(message: str) -> Response:
    """The `{"detail": ...}` answer of the auth endpoints that answer only that."""
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


@extend_schema(
    tags=AUTH_TAGS,
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
    tags=AUTH_TAGS,
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
    tags=AUTH_TAGS,
    summary="Check that a token is valid",
    description="200 with an empty object when valid; 401 `token_not_valid` otherwise.",
    request=TokenVerifyRequestSerializer,
    responses={200: OpenApiResponse(description="The token is valid."), 401: UNAUTHORIZED},
    examples=[OpenApiExample("Access token", value={"token": JWT_ACCESS}, request_only=True)],
)
class TokenVerifyView(PlainTokenErrorsMixin, _TokenVerifyView):
    pass


@extend_schema(
    tags=AUTH_TAGS,
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
        response = detail_response("Logged out.")
        return web_session.forget(response) if from_cookie else response
