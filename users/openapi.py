"""Error responses specific to the auth endpoints, in the one error shape."""

from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ServerErrorEnum
from rest_framework import serializers

AUTH_401_CODES = [
    "token_not_valid",
    "account_inactive",
    "account_suspended",
    "authentication_failed",
    "not_authenticated",
]


def _error_response(
    name: str, codes: list[str], doc: str, error_type=ClientErrorEnum
) -> type[serializers.Serializer]:
    error = type(
        f"{name}Error",
        (serializers.Serializer,),
        {
            "code": serializers.ChoiceField(choices=codes),
            "detail": serializers.CharField(),
            "attr": serializers.CharField(allow_null=True),
        },
    )
    return type(
        f"{name}ErrorResponse",
        (serializers.Serializer,),
        {
            "__doc__": doc,
            "type": serializers.ChoiceField(choices=error_type.choices),
            "errors": error(many=True),
        },
    )


AuthErrorResponse401Serializer = _error_response(
    "Auth401",
    AUTH_401_CODES,
    "401: the token is invalid, expired or revoked, or the account is inactive or suspended.",
)
SocialLoginDisabledResponseSerializer = _error_response(
    "SocialLoginDisabled", ["social_login_disabled"], "404: social login is switched off."
)
SocialLoginNotConfiguredResponseSerializer = _error_response(
    "SocialLoginNotConfigured",
    ["social_login_not_configured"],
    "503: social login is on but the provider has no credentials.",
    error_type=ServerErrorEnum,
)
