"""Errors raised by services, shared by REST and the socket.

They are DRF exceptions so the REST layer renders them in the one error shape;
the socket gateway turns them into `error` frames with the same `code`.
"""

from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail


def invalid(field: str, message: str, code: str) -> exceptions.ValidationError:
    """A 400 naming the offending field: `raise invalid("content", "...", "too_long")`."""
    return exceptions.ValidationError({field: [ErrorDetail(message, code=code)]})


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


def first_error(exc: exceptions.APIException) -> tuple[str, str]:
    """(code, message) of an API exception, for places that carry one error only."""
    detail = exc.detail
    while isinstance(detail, dict | list):
        if not detail:
            return exc.default_code, str(exc.default_detail)
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return getattr(detail, "code", exc.default_code), str(detail)
