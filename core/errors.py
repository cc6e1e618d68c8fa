"""One error shape for every API response, DRF or not.

DRF views are handled by drf-standardized-errors (settings.REST_FRAMEWORK
["EXCEPTION_HANDLER"]). Errors that never reach a DRF view (an unknown URL, a
crash in middleware, an oversized body) go through Django's handler400/403/404/
500, which config/urls.py points here: under /api/ they answer the same shape,
elsewhere (admin, docs) Django's own pages. With DEBUG on Django skips handler404
for a URL that matches no route; core.middleware.ApiPathMiddleware answers it.

    {"type": "client_error", "errors": [{"code": "not_found", "detail": "...", "attr": null}]}
"""

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_standardized_errors.handler import ExceptionHandler as StandardizedExceptionHandler
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail

from core.exceptions import DomainError

API_PATH_PREFIX = "/api/"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "request_too_large"


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request."
    default_code = "bad_request"


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
    """drf-standardized-errors' handler, knowing the services' `DomainError` and
    Django's request-size errors.

    Django raises RequestDataTooBig (a SuspiciousOperation) while DRF parses a
    body; left alone it would become a 500.
    """

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DomainError):
            return as_api_exception(exc)
        if isinstance(exc, RequestDataTooBig):
            return RequestTooLarge()
        if isinstance(exc, SuspiciousOperation):
            return BadRequest()
        return super().convert_known_exceptions(exc)


def error_response(
    *, status_code: int, code: str, detail: str, attr: str | None = None
) -> JsonResponse:
    error_type = "server_error" if status_code >= 500 else "client_error"
    body = {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": attr}]}
    return JsonResponse(body, status=status_code)


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return error_response(
            status_code=413, code="request_too_large", detail=RequestTooLarge.default_detail
        )
    return error_response(status_code=400, code="bad_request", detail="Bad request.")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return defaults.permission_denied(request, exception)
    return error_response(
        status_code=403,
        code="permission_denied",
        detail="You do not have permission to perform this action.",
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_request(request):
        return defaults.page_not_found(request, exception)
    return error_response(status_code=404, code="not_found", detail="Not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    if not is_api_request(request):
        return defaults.server_error(request)
    return error_response(status_code=500, code="error", detail="Server Error (500)")
