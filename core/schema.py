"""OpenAPI generation: the schema class, hooks and extensions (drf-spectacular).

`AutoSchema` is REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]. drf-spectacular also
imports this module through PREPROCESSING_HOOKS before any view is inspected,
which registers the extension below.
"""

from contextlib import contextmanager

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import OpenApiExample, OpenApiRequest
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from drf_standardized_errors.openapi_utils import get_example_from_exception
from rest_framework import exceptions, serializers

# A body type each kind of view refuses, for its 415 example: JSON views refuse
# form bodies, the uploads (multipart) refuse JSON.
REFUSED_MEDIA_TYPES = ["application/x-www-form-urlencoded", "application/json"]


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-standardized-errors' schema (the error responses), with two fixes:

    - a request body may be an `OpenApiRequest` (a serializer with an `encoding`,
      the uploads): the 400 validation errors are worked out from the serializer
      inside it, while drf-spectacular documents the body, encoding included;
    - the 415 example names a body type the view refuses (the library's names
      `application/json`, which most views take).
    """

    def _get_error_response_examples(self):
        examples = super()._get_error_response_examples()
        taken = {parser.media_type for parser in self.view.get_parsers()}
        refused = [media_type for media_type in REFUSED_MEDIA_TYPES if media_type not in taken]
        if not refused:
            return examples
        example_415 = get_example_from_exception(exceptions.UnsupportedMediaType(refused[0]))
        return [example_415 if "415" in example.status_codes else example for example in examples]

    @contextmanager
    def _plain_request_serializer(self):
        wrapped = self.get_request_serializer

        def plain():
            serializer = wrapped()
            return serializer.request if isinstance(serializer, OpenApiRequest) else serializer

        self.get_request_serializer = plain
        try:
            yield
        finally:
            del self.get_request_serializer

    def _should_add_validation_error_response(self) -> bool:
        with self._plain_request_serializer():
            return super()._should_add_validation_error_response()

    def _determine_fields_with_error_codes(self):
        with self._plain_request_serializer():
            return super()._determine_fields_with_error_codes()


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
