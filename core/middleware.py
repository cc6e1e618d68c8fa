from django.urls import is_valid_path

from . import request_id
from .errors import is_api_request, page_not_found

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Give every request an id (the client's X-Request-ID if sane), log it, echo it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id.from_header(request.headers.get(HEADER))
        token = request_id.set_(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = request.id
        return response


class ApiPathMiddleware:
    """Under `/api/`: one answer per route whatever the trailing slash, and JSON for
    URLs that match no route.

    A path without its trailing slash is served, for every method, as the route
    with it: the request is resolved on the slash-appended path instead of being
    redirected (APPEND_SLASH can only redirect, and cannot redirect a POST). Only
    slash-less paths pay the extra resolving; the routes, `reverse()` and the
    schema keep the one canonical path with the slash.

    A URL that resolves to nothing answers the API's 404 (`core.errors.page_not_found`)
    even with DEBUG on, where Django would show its HTML debug page instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_request(request):
            return self.get_response(request)
        if not request.path_info.endswith("/"):
            urlconf = getattr(request, "urlconf", None)
            with_slash = f"{request.path_info}/"
            if not is_valid_path(request.path_info, urlconf) and is_valid_path(with_slash, urlconf):
                request.path_info = with_slash
                request.path = f"{request.path}/"
        response = self.get_response(request)
        if response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return page_not_found(request, None)
        return response
