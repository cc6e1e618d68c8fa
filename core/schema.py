"""OpenAPI generation: the schema class, hooks and extensions (drf-spectacular).

`AutoSchema` is REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]. drf-spectacular also
imports this module through PREPROCESSING_HOOKS before any view is inspected,
which registers the extension below.
"""

import inspect
import re
from contextlib import contextmanager

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import OpenApiExample, OpenApiRequest
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from drf_standardized_errors.openapi_utils import (
    get_example_from_exception,
    get_flat_serializer_fields,
    get_serializer_fields_with_error_codes,
)
from rest_framework import exceptions, serializers

from core.pagination import KeysetPagination

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
        if self._has_delete_body():
            return True
        with self._plain_request_serializer():
            return super()._should_add_validation_error_response()

    def _determine_fields_with_error_codes(self):
        if self._has_delete_body():
            serializer = self._plain_serializer()
            serializer = serializer() if inspect.isclass(serializer) else serializer
            fields = get_flat_serializer_fields(serializer)
            return get_serializer_fields_with_error_codes(fields)
        with self._plain_request_serializer():
            return super()._determine_fields_with_error_codes()

    def _should_add_http403_error_response(self) -> bool:
        # A refusal a service makes (only the author may edit) has no permission
        # class to show it: the view lists the methods with `forbidden_methods`.
        if self.method in getattr(self.view, "forbidden_methods", ()):
            return True
        return super()._should_add_http403_error_response()

    # The library derives 400s from PUT/PATCH/POST bodies and django-filter only.
    # Also derived here: a DELETE's body, the query serializers an operation
    # declares (`parameters=[SomeSerializer]`, validated by the view), and the
    # keyset paginator's `cursor` and `page_size`.

    def _plain_serializer(self):
        serializer = self.get_request_serializer()
        return serializer.request if isinstance(serializer, OpenApiRequest) else serializer

    def _has_delete_body(self) -> bool:
        if self.method != "DELETE":
            return False
        # Only a body the operation declares (`request=`): no guessing from the view.
        self._get_serializer = lambda: None
        try:
            serializer = self._plain_serializer()
        finally:
            del self._get_serializer
        return isinstance(serializer, serializers.Field) or (
            inspect.isclass(serializer) and issubclass(serializer, serializers.Field)
        )

    def _get_extra_validation_errors(self):
        errors = {
            name: set(codes) for name, codes in super()._get_extra_validation_errors().items()
        }
        if self.method != "GET":
            return errors
        for serializer in self.get_override_parameters():
            if inspect.isclass(serializer) and issubclass(serializer, serializers.Serializer):
                serializer = serializer()
            if not isinstance(serializer, serializers.Serializer):
                continue
            fields = get_flat_serializer_fields(serializer)
            for field in get_serializer_fields_with_error_codes(fields):
                if field.name != "non_field_errors":
                    errors.setdefault(field.name, set()).update(field.error_codes)
        paginator = self._get_paginator() if self._is_list_view() else None
        if isinstance(paginator, KeysetPagination):
            for name, codes in paginator.query_error_codes().items():
                errors.setdefault(name, set()).update(codes)
        return errors


def only_canonical_paths(endpoints, **kwargs):
    """Document each route once: `/api/v1/...`, not its `/api/...` alias."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


# drf-standardized-errors names a list item's errors `media.INDEX` in the schema;
# the API answers with the item's index (`media.0`), which is more use to a
# client. The schema says what is answered: a pattern instead of the placeholder.
_INDEX = ".INDEX"


def list_item_attrs(result, generator, request, public):
    """Postprocessing hook: `attr` of a list item's error is `<field>.<index>`.

    Each `...INDEXErrorComponent` gets a pattern for its `attr` instead of the
    one-value enum, and the error unions holding one lose their discriminator
    (`attr` is no longer one of a fixed set of values to map)."""
    schemas = result.get("components", {}).get("schemas", {})
    item_components = set()
    for name, component in schemas.items():
        attr = component.get("properties", {}).get("attr", {})
        placeholders = [v for v in attr.get("enum") or () if isinstance(v, str) and _INDEX in v]
        if not placeholders:
            continue
        if len(placeholders) != len(attr["enum"]):
            raise ValueError(f"{name}: list items mixed with plain fields in one attr enum")
        attr.pop("enum")
        attr["pattern"] = "|".join(
            "^" + re.escape(value).replace(re.escape(_INDEX), r"\.[0-9]+") + "$"
            for value in placeholders
        )
        attr["description"] = (
            ", ".join(f"`{value.replace(_INDEX, '.<index>')}`" for value in placeholders)
            + ": the list item at that index, from 0."
        )
        item_components.add(f"#/components/schemas/{name}")
    for component in schemas.values():
        refs = {part.get("$ref") for part in component.get("oneOf", ())}
        if refs & item_components:
            component.pop("discriminator", None)
    return result


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
