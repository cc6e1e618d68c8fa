"""One error shape for every API response, DRF or not.

DRF views are handled by drf-standardized-errors (settings.REST_FRAMEWORK
["EXCEPTION_HANDLER"]). Errors that never reach a DRF view (an unknown URL, a
crash in middleware, an oversized body) go through Django's handler400/403/404/
500, which config/urls.py points here: under /api/ they answer the same shape,
elsewhere (admin, docs) Django's own pages. With DEBUG on Django skips handler404
for a URL that matches no route; core.middleware.ApiPathMiddleware answers it.

    {"type": "client_error", "errors": [{"code": "not_found", "detail": "...", "attr": null}]}
"""

from django.core.exceptions import (
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_standardized_errors.handler import ExceptionHandler as StandardizedExceptionHandler
from drf_standardized_errors.settings import package_settings
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.serializers import as_serializer_error

from core import error_codes
from core.exceptions import DomainError

API_PATH_PREFIX = "/api/"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = error_codes.REQUEST_TOO_LARGE


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request."
    default_code = error_codes.BAD_REQUEST


class _DomainAPIException(exceptions.APIException):
    """A `DomainError` as DRF renders it: its status, code, message (and field)."""

    def __init__(self, error: DomainError) -> None:
        self.status_code = error.status
        super().__init__(detail=error.message, code=error.code)


def as_api_exception(error: DomainError) -> exceptions.APIException:
    """The DRF exception that renders `error` in the one shape: a 400 is a
    `validation_error` naming its field (or none), any other status a `client_error`."""
    if error.status == status.HTTP_400_BAD_REQUEST:
        detail = [ErrorDetail(error.message, code=error.code)]
        return exceptions.ValidationError({error.field: detail} if error.field else detail)
    return _DomainAPIException(error)


class ExceptionHandler(StandardizedExceptionHandler):
    """drf-standardized-errors' handler, knowing the services' `DomainError`,
    Django's own refusals and its request-size errors.

    Django raises RequestDataTooBig (a SuspiciousOperation) while DRF parses a
    body; left alone it would become a 500. So would a Django `ValidationError`
    (a model's `full_clean`, a malformed UUID given to the ORM) and a
    `DoesNotExist`: they answer a 400 `validation_error` and a 404 instead.
    """

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DomainError):
            return as_api_exception(exc)
        if isinstance(exc, DjangoValidationError):
            return exceptions.ValidationError(as_serializer_error(exc))
        if isinstance(exc, ObjectDoesNotExist):
            return exceptions.NotFound()
        if isinstance(exc, RequestDataTooBig):
            return RequestTooLarge()
        if isinstance(exc, SuspiciousOperation):
            return BadRequest()
        return super().convert_known_exceptions(exc)

    def report_exception(self, exc, response) -> None:
        # A DomainError is a service's deliberate answer (a 503 "provider
        # unavailable" included, which the service logs itself), not a crash for
        # error monitoring; everything else is reported as drf-standardized-errors does.
        if isinstance(self.exc, DomainError):
            return
        super().report_exception(exc, response)


def rest_error_body(exc: Exception) -> dict | None:
    """The body REST answers `exc` with, every error of it (`{"type", "errors":
    [{"code", "detail", "attr"}]}`), or None when `exc` is unexpected (a 500).
    The socket gateway's error frames carry exactly this as their `data`."""
    converted = ExceptionHandler(exc, {}).convert_known_exceptions(exc)
    if not isinstance(converted, exceptions.APIException):
        return None
    return package_settings.EXCEPTION_FORMATTER_CLASS(converted, {}, exc).run()


def error_body(*, status_code: int, code: str, detail: str, attr: str | None = None) -> dict:
    """One error in the one shape, for refusals that have no exception to format."""
    error_type = "server_error" if status_code >= 500 else "client_error"
    return {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": attr}]}


def error_response(
    *, status_code: int, code: str, detail: str, attr: str | None = None
) -> JsonResponse:
    body = error_body(status_code=status_code, code=code, detail=detail, attr=attr)
    return JsonResponse(body, status=status_code)


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return error_response(
            status_code=413,
            code=error_codes.REQUEST_TOO_LARGE,
            detail=RequestTooLarge.default_detail,
        )
    return error_response(status_code=400, code=error_codes.BAD_REQUEST, detail="Bad request.")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return defaults.permission_denied(request, exception)
    return error_response(
        status_code=403,
        code=error_codes.PERMISSION_DENIED,
        detail="You do not have permission to perform this action.",
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return defaults.page_not_found(request, exception)
    return error_response(status_code=404, code=error_codes.NOT_FOUND, detail="Not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    if not is_api_request(request):
        return defaults.server_error(request)
    return error_response(
        status_code=500, code=error_codes.SERVER_ERROR, detail="Server Error (500)"
    )
