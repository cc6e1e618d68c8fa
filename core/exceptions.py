"""The one error type services raise, shown the same on REST and the socket.

A service that refuses raises a `DomainError` (or one of the subclasses below,
which fix the status): a stable machine-readable `code` from its app's
`error_codes.py`, a human message, and the offending `field` when there is one.
Services know nothing of DRF or Channels; the REST exception handler
(`core.errors.ExceptionHandler`) renders a DomainError in the one error shape,
and the socket gateway answers it with an `error` frame carrying the same code.

    from core.exceptions import Conflict, InvalidInput
    from . import error_codes

    raise InvalidInput(error_codes.TOO_MANY_TAGS, "At most 5 tags.", field="tags")
    raise Conflict(error_codes.ALREADY_REPORTED, "You have already reported this.")
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A refusal by a service: HTTP `status`, stable `code`, `message`, optional `field`."""

    status: ClassVar[int] = 400

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, field={self.field!r})"


class InvalidInput(DomainError):
    """400: the input is wrong (rendered as a `validation_error`)."""

    status = 400


class Forbidden(DomainError):
    """403: the caller may see the object but not do this to it."""

    status = 403


class NotFound(DomainError):
    """404: no such object, or one the caller may not see (never tell which)."""

    status = 404


class Conflict(DomainError):
    """409: the request conflicts with the current state (already reported, out of stock)."""

    status = 409


class TooLarge(DomainError):
    """413: the payload is too large."""

    status = 413


class UnsupportedMediaType(DomainError):
    """415: the payload's type is not one we take."""

    status = 415


def invalid(field: str, message: str, code: str) -> InvalidInput:
    """A 400 naming the offending field: `raise invalid("content", "...", "too_long")`."""
    return InvalidInput(code, message, field=field)


class ServiceUnavailable(DomainError):
    """503: a service the request needs (a payment provider, the task queue) is not there."""

    status = 503
