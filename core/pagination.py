"""Keyset (cursor) pagination with a named envelope.

Every list of the API answers

    {"<envelope>": [...], "next_page": url | null, "previous_page": url | null,
     "next_cursor": string | null, "previous_cursor": string | null}

`next_page`/`previous_page` are ready-made links (the mobile contract);
`next_cursor`/`previous_cursor` are the cursor query parameter's value in them,
for a typed client that calls the same route again with `?cursor=` (`page_links`).

and pages by keyset: the cursor is the ordering values of the row at the edge of
the page, so a page is `WHERE (a, id) < (x, y) ORDER BY a DESC, id DESC LIMIT n+1`
(written `a <= x AND (a < x OR (a = x AND id < y))`, so that `a <= x` bounds the
index scan) at the same cost whatever its depth, rows inserted meanwhile never
shift a page, and no `COUNT(*)` is ever run.

A domain declares its lists by subclassing:

    class PostPagination(KeysetPagination):
        envelope = "posts"
        ordering = ("-created_at", "-id")

and setting `pagination_class = PostPagination` on the view. Rules for
`ordering`:

- the last field must be unique (the tiebreaker), so the order is total;
- fields must never be NULL;
- a field may be a model field, a lookup through relations (`author__id`) or an
  annotation of the queryset (`followed_at`), as long as the value can be read
  from the row (annotations are attributes; lookups are followed attribute by
  attribute).

A list that is one fixed page (a top N: popular tags, search results) carries the
same links and cursors, always null: its serializer extends
`OnePageEnvelopeSerializer` and its view adds `NO_PAGE_LINKS` to the body. A list
paged by other parameters (a chat history's `before=`/`after=`) builds its links
and adds `page_links(next_page, previous_page, next_param=..., previous_param=...)`.

The cursor is opaque to clients: urlsafe base64 of a small JSON document. A
malformed or tampered cursor answers 400 with code `invalid_cursor`, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q, QuerySet
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core import error_codes

FORWARD = "n"
BACKWARD = "p"

CURSOR_QUERY_PARAM = "cursor"


def cursor_in(link: str | None, param: str = CURSOR_QUERY_PARAM) -> str | None:
    """The value of the query parameter `param` in `link`, or None."""
    if link is None:
        return None
    values = parse_qs(urlsplit(link).query, keep_blank_values=True).get(param)
    return values[-1] if values else None


def page_links(
    next_page: str | None,
    previous_page: str | None,
    *,
    next_param: str = CURSOR_QUERY_PARAM,
    previous_param: str = CURSOR_QUERY_PARAM,
) -> dict[str, str | None]:
    """The page keys of a list envelope: the two links and, as plain values, the
    cursor each carries (its `next_param` / `previous_param` query parameter)."""
    return {
        "next_page": next_page,
        "previous_page": previous_page,
        "next_cursor": cursor_in(next_page, next_param),
        "previous_cursor": cursor_in(previous_page, previous_param),
    }


NO_PAGE_LINKS = page_links(None, None)


class OnePageEnvelopeSerializer(serializers.Serializer):
    """The envelope of a list that is one fixed page: the page links and cursors
    every list carries, always null."""

    next_page = serializers.URLField(allow_null=True, help_text="Always null: one page.")
    previous_page = serializers.URLField(allow_null=True, help_text="Always null: one page.")
    next_cursor = serializers.CharField(allow_null=True, help_text="Always null: one page.")
    previous_cursor = serializers.CharField(allow_null=True, help_text="Always null: one page.")


class InvalidCursor(APIValidationError):
    def __init__(self) -> None:
        super().__init__(
            {"cursor": [ErrorDetail("Invalid or expired cursor.", code=error_codes.INVALID_CURSOR)]}
        )


@dataclass(frozen=True)
class Cursor:
    values: tuple[Any, ...]
    direction: str  # FORWARD: rows after `values`; BACKWARD: rows before them.


def _encode_value(value: Any) -> Any:
    # Own encoding rather than DjangoJSONEncoder: that one cuts datetimes to
    # milliseconds, which would make rows sharing a millisecond skip or repeat.
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"Cannot put {type(value).__name__} in a cursor")


def encode_cursor(cursor: Cursor) -> str:
    payload = {"v": [_encode_value(v) for v in cursor.values], "d": cursor.direction}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(encoded: str) -> tuple[list[Any], str]:
    """Raw (still untyped) values and direction; InvalidCursor if malformed."""
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        values, direction = payload["v"], payload["d"]
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error) as exc:
        raise InvalidCursor() from exc
    if not isinstance(values, list) or direction not in (FORWARD, BACKWARD):
        raise InvalidCursor()
    return values, direction


def _split(term: str) -> tuple[str, bool]:
    """("-created_at") -> ("created_at", descending=True)."""
    return (term[1:], True) if term.startswith("-") else (term, False)


def _output_field(queryset: QuerySet, name: str):
    """The model field (or annotation's output field) a cursor value must fit."""
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        return annotation.output_field
    model = queryset.model
    parts = name.split("__")
    for index, part in enumerate(parts):
        field = model._meta.get_field(part)
        if index < len(parts) - 1:
            model = field.related_model
        elif field.is_relation:
            return field.target_field
        else:
            return field
    raise FieldDoesNotExist(name)


def _row_value(row: Any, name: str) -> Any:
    if isinstance(row, dict):  # a `.values()` row
        return row[name]
    value = row
    for part in name.split("__"):
        value = getattr(value, part)
    if hasattr(value, "pk") and not isinstance(value, uuid.UUID):
        value = value.pk
    return value


def keyset_filter(ordering: Sequence[str], values: Sequence[Any], *, forward: bool) -> Q:
    """Rows strictly after `values` in `ordering` (or strictly before when not forward).

    For ordering (a DESC, b DESC, id DESC) going forward this is
    a <= x AND ((a < x) OR (a = x AND b < y) OR (a = x AND b = y AND id < z)).
    """
    condition = Q()
    for index, term in enumerate(ordering):
        name, descending = _split(term)
        lookup = "lt" if descending == forward else "gt"
        clause = Q(**{f"{name}__{lookup}": values[index]})
        for earlier_term, earlier_value in zip(ordering[:index], values[:index], strict=True):
            clause &= Q(**{_split(earlier_term)[0]: earlier_value})
        condition |= clause
    if len(ordering) == 1:
        return condition
    # Redundant, but PostgreSQL cannot bound an index scan by the OR above: without
    # it a deep page reads and discards every row before the cursor.
    first, descending = _split(ordering[0])
    bound = Q(**{f"{first}__{'lte' if descending == forward else 'gte'}": values[0]})
    return bound & condition


class KeysetPagination(BasePagination):
    """Keyset pagination; subclass to set `envelope` and `ordering`."""

    envelope = "results"
    ordering: tuple[str, ...] = ("-created_at", "-id")
    cursor_query_param = CURSOR_QUERY_PARAM
    page_size_query_param = "page_size"

    # Filled per request.
    page: list[Any]
    request: Request | None = None
    next_cursor: Cursor | None = None
    previous_cursor: Cursor | None = None

    # --- settings ------------------------------------------------------------

    @staticmethod
    def default_page_size() -> int:
        return int(settings.REST_FRAMEWORK.get("PAGE_SIZE") or 20)

    @staticmethod
    def max_page_size() -> int:
        return int(getattr(settings, "API_MAX_PAGE_SIZE", 100))

    def page_size_field(self) -> serializers.IntegerField:
        return serializers.IntegerField(min_value=1, max_value=self.max_page_size())

    def query_error_codes(self) -> dict[str, set[str]]:
        """The 400 codes of the query parameters read here (for the schema)."""
        page_size_codes = set(self.page_size_field().error_messages) - {"required", "null"}
        return {
            self.cursor_query_param: {error_codes.INVALID_CURSOR},
            self.page_size_query_param: page_size_codes,
        }

    def get_page_size(self, request: Request) -> int:
        """`page_size` as documented: an integer from 1 to the maximum, else a 400."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:  # `?page_size=` is not a number: a 400 like any other
            return self.default_page_size()
        try:
            return self.page_size_field().run_validation(raw)
        except APIValidationError as exc:
            raise APIValidationError({self.page_size_query_param: exc.detail}) from None

    # --- cursor --------------------------------------------------------------

    def get_cursor(self, request: Request, queryset: QuerySet) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        raw_values, direction = decode_cursor(encoded)
        if len(raw_values) != len(self.ordering):
            raise InvalidCursor()
        values = []
        for term, raw in zip(self.ordering, raw_values, strict=True):
            field = _output_field(queryset, _split(term)[0])
            if raw is None:
                raise InvalidCursor()
            try:
                values.append(field.to_python(raw))
            except (ValidationError, ValueError, TypeError) as exc:
                raise InvalidCursor() from exc
        return Cursor(values=tuple(values), direction=direction)

    def cursor_for(self, row: Any, direction: str) -> Cursor:
        return Cursor(
            values=tuple(_row_value(row, _split(term)[0]) for term in self.ordering),
            direction=direction,
        )

    # --- paging --------------------------------------------------------------

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None) -> list[Any]:
        def fetch(cursor: Cursor | None, backward: bool, limit: int) -> list[Any]:
            order = reversed_ordering(self.ordering) if backward else self.ordering
            rows = queryset.order_by(*order)
            if cursor is not None:
                rows = rows.filter(
                    keyset_filter(self.ordering, cursor.values, forward=not backward)
                )
            return list(rows[:limit])

        return self.paginate(request, fetch, fields_of=queryset)

    def paginate(
        self,
        request: Request,
        fetch: Callable[[Cursor | None, bool, int], list[Any]],
        *,
        fields_of: QuerySet,
    ) -> list[Any]:
        """The page through `fetch(cursor, backward, limit)`, which returns up to
        `limit` rows after the cursor (before it when `backward`) in `ordering`
        (reversed when `backward`): model instances or `.values()` dicts.
        `fields_of` parses the cursor's values by the ordering fields' types."""
        self.request = request
        page_size = self.get_page_size(request)
        cursor = self.get_cursor(request, fields_of)
        backward = cursor is not None and cursor.direction == BACKWARD
        rows = fetch(cursor, backward, page_size + 1)
        has_more = len(rows) > page_size
        rows = rows[:page_size]

        if backward:
            rows.reverse()
            # The cursor row itself follows this page, so there is a next page.
            self.next_cursor = self.cursor_for(rows[-1], FORWARD) if rows else None
            self.previous_cursor = self.cursor_for(rows[0], BACKWARD) if has_more else None
        else:
            self.next_cursor = self.cursor_for(rows[-1], FORWARD) if has_more else None
            self.previous_cursor = (
                self.cursor_for(rows[0], BACKWARD) if cursor is not None and rows else None
            )
        self.page = rows
        return rows

    def _link(self, cursor: Cursor | None) -> str | None:
        if cursor is None or self.request is None:
            return None
        # Built from the request, so the client's prefix (/api/ or /api/v1/),
        # host and other query parameters are kept.
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, encode_cursor(cursor))

    def get_next_link(self) -> str | None:
        return self._link(self.next_cursor)

    def get_previous_link(self) -> str | None:
        return self._link(self.previous_cursor)

    def get_first_link(self) -> str | None:
        if self.request is None:
            return None
        return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)

    def get_page_links(self) -> dict[str, str | None]:
        """`next_page`, `previous_page`, `next_cursor`, `previous_cursor` of this page."""
        return page_links(
            self.get_next_link(),
            self.get_previous_link(),
            next_param=self.cursor_query_param,
            previous_param=self.cursor_query_param,
        )

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response({self.envelope: data, **self.get_page_links()})

    # --- OpenAPI -------------------------------------------------------------

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "format": "uri", "nullable": True}
        cursor = {"type": "string", "nullable": True}
        param = self.cursor_query_param
        example_cursor = "eyJ2Ijpb..."
        return {
            "type": "object",
            "required": [
                self.envelope,
                "next_page",
                "previous_page",
                "next_cursor",
                "previous_cursor",
            ],
            "properties": {
                self.envelope: schema,
                "next_page": {
                    **link,
                    "description": "The next page, or null on the last page.",
                    "example": f"https://api.example.org/api/v1/...?{param}={example_cursor}",
                },
                "previous_page": {
                    **link,
                    "description": "The previous page, or null on the first page.",
                    # Lets drf-spectacular wrap a view's item example in this envelope.
                    "example": None,
                },
                "next_cursor": {
                    **cursor,
                    "description": f"The `{param}` query parameter of `next_page`: pass it "
                    f"back as `?{param}=` (the other parameters unchanged) for the next page. "
                    "Null on the last page.",
                    "example": example_cursor,
                },
                "previous_cursor": {
                    **cursor,
                    "description": f"The `{param}` query parameter of `previous_page`: pass "
                    f"it back as `?{param}=` for the previous page. Null on the first page.",
                    "example": None,
                },
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Opaque cursor: `next_cursor` or `previous_cursor` of a page (the "
                    "same value `next_page` or `previous_page` carries); omit for the "
                    "first page."
                ),
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Rows per page (default {self.default_page_size()}, "
                    f"at most {self.max_page_size()})."
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size()},
            },
        ]


def reversed_ordering(ordering: Sequence[str]) -> list[str]:
    """`ordering` the other way round, for reading a page backwards."""
    return [_reverse(term) for term in ordering]


def _reverse(term: str) -> str:
    name, descending = _split(term)
    return name if descending else f"-{name}"
