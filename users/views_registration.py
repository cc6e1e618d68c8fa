"""Registration: create an account, verify its email address, resend the
verification email."""

from __future__ import annotations

from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from dj_rest_auth.registration.serializers import (
    ResendEmailVerificationSerializer,
    VerifyEmailSerializer,
)
from dj_rest_auth.registration.views import RegisterView as _RegisterView
from dj_rest_auth.registration.views import (
    ResendEmailVerificationView as _ResendEmailVerificationView,
)
from dj_rest_auth.registration.views import VerifyEmailView as _VerifyEmailView
from drf_spectacular.utils import OpenApiExample, PolymorphicProxySerializer, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from . import error_codes, web_session
from .openapi import (
    AUTH_TAGS,
    JANE,
    NEW_PASSWORD_CODES,
    SESSION_COOKIE,
    TOKENS_EXAMPLE,
    detail_example,
)
from .serializers import AuthTokensSerializer, DetailSerializer, RegisterSerializer
from .views_auth import detail_response, issue_tokens


@extend_schema(
    tags=AUTH_TAGS,
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
    tags=AUTH_TAGS,
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
        return (
            detail_response("Email address verified.") if response.status_code == 200 else response
        )


@extend_schema(
    tags=AUTH_TAGS,
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
