"""Error responses of forum endpoints that drf-standardized-errors does not derive."""

from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers


def client_error_response(name: str, codes: list[str], doc: str) -> type[serializers.Serializer]:
    """A response serializer in the one error shape, limited to `codes`."""
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
            "type": serializers.ChoiceField(choices=ClientErrorEnum.choices),
            "errors": error(many=True),
        },
    )


AlreadyReportedResponse = client_error_response(
    "AlreadyReported", ["already_reported"], "409: the caller has reported this content before."
)
AlreadyHandledResponse = client_error_response(
    "AlreadyHandled", ["already_handled"], "409: the report is no longer open."
)
