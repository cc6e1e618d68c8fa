"""Passwords: change yours, email a reset link, set a new one with it."""

from __future__ import annotations

from dj_rest_auth.views import PasswordChangeView as _PasswordChangeView
from dj_rest_auth.views import PasswordResetConfirmView as _PasswordResetConfirmView
from dj_rest_auth.views import PasswordResetView as _PasswordResetView
from drf_spectacular.utils import OpenApiExample, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors

from . import error_codes
from .openapi import (
    AUTH_TAGS,
    JANE,
    NEW_PASSWORD_CODES,
    PasswordResetUnavailableResponseSerializer,
    detail_example,
)
from .serializers import (
    DetailSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
)
from .views_auth import detail_response


@extend_schema(
    tags=AUTH_TAGS,
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
        return detail_response("Password changed.")


@extend_schema(
    tags=AUTH_TAGS,
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
    responses={200: DetailSerializer, 503: PasswordResetUnavailableResponseSerializer},
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
        return detail_response("If the address has an account, a reset link was sent to it.")


@extend_schema(
    tags=AUTH_TAGS,
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
        return detail_response("Password has been reset.")
