"""OpenAPI generation hooks and extensions (drf-spectacular).

This module is imported by drf-spectacular through PREPROCESSING_HOOKS before
any view is inspected, which also registers the extension below.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import OpenApiExample
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers


def only_canonical_paths(endpoints, **kwargs):
    """Document each route once: `/api/v1/...`, not its `/api/...` alias."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


class BearerJWTScheme(SimpleJWTScheme):
    """`Authorization: Bearer <access JWT>` for SimpleJWT and the project's subclasses."""

    target_class = "rest_framework_simplejwt.authentication.JWTAuthentication"
    match_subclasses = True
    priority = 1
    name = "bearerAuth"


def error_response(
    name: str, codes: list[str], doc: str, error_type=ClientErrorEnum
) -> type[serializers.Serializer]:
    """A response serializer in the one error shape, limited to `codes`, for the
    errors drf-standardized-errors cannot derive (409s, a view's own 404)."""
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


def multipart_example(
    name: str, files: dict[str, str | list[str]], description: str
) -> OpenApiExample:
    """A request example of a multipart upload, `files` naming each file part by
    its file name: the bytes themselves cannot be shown. drf-spectacular files
    examples under application/json unless told otherwise."""
    value = {
        field: [f"<binary {n}>" for n in names] if isinstance(names, list) else f"<binary {names}>"
        for field, names in files.items()
    }
    return OpenApiExample(
        name,
        value=value,
        request_only=True,
        media_type="multipart/form-data",
        description=description,
    )
