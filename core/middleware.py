import logging
import time

from django.db import connections
from django.urls import is_valid_path
from django.utils.functional import SimpleLazyObject, empty

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


access_logger = logging.getLogger("core.access")


class QueryCounter:
    """Counts the statements run on every database connection of this thread
    while installed (`connection.execute_wrapper`): no DEBUG needed."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def user_id_of(request) -> str | None:
    """The authenticated user's id, without loading a user nobody asked for: a
    lazy session user still unevaluated is left alone (no query in the log path).
    DRF sets the JWT user on the request it wraps, so API requests show theirs."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    if not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)


def _route_of(match) -> str | None:
    # The pattern matched (a router's regex routes lose their anchors).
    if match is None or not match.route:
        return None
    return "/" + match.route.replace("^", "").replace("$", "")


class AccessLogMiddleware:
    """One log line per request (logger `core.access`): request id, user id,
    method, route (the URL pattern, so no ids or query strings), status,
    duration in ms and the number of database queries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = QueryCounter()
        started = time.perf_counter()
        wrappers = [
            conn.execute_wrapper(counter) for conn in connections.all(initialized_only=False)
        ]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        match = getattr(request, "resolver_match", None)
        route = _route_of(match)
        status = response.status_code
        access_logger.log(
            logging.WARNING if status >= 500 else logging.INFO,
            "%s %s %s",
            request.method,
            route or "-",
            status,
            extra={
                "event": "http.request",
                "user_id": user_id_of(request),
                "method": request.method,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                "db_queries": counter.count,
            },
        )
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
