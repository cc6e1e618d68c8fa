"""Social login (Google), behind ENABLE_SOCIAL_LOGIN."""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from dj_rest_auth.registration.views import SocialLoginView
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MultipleObjectsReturned
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny

from . import error_codes
from .openapi import (
    AUTH_TAGS,
    SESSION_COOKIE,
    TOKENS_EXAMPLE,
    UNAUTHORIZED,
    SocialLoginDisabledResponseSerializer,
    SocialLoginUnavailableResponseSerializer,
)
from .serializers import AuthTokensSerializer, GoogleLoginSerializerDoc
from .social import GoogleOAuth2Adapter, GoogleOAuth2Client, SocialProviderUnavailable
from .views_auth import TokenLoginMixin


class SocialLoginDisabled(exceptions.APIException):
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Social login is not enabled."
    default_code = error_codes.SOCIAL_LOGIN_DISABLED


class SocialLoginNotConfigured(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Social login is enabled but the provider is not configured."
    default_code = error_codes.SOCIAL_LOGIN_NOT_CONFIGURED


@extend_schema(
    tags=AUTH_TAGS,
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
