"""Web sessions: browsers keep the refresh token in an HttpOnly cookie.

A browser client opts in on the requests that issue tokens (registration, login,
Google login, token refresh) with the header `X-Session-Cookie: 1` (or the
query `?cookie=1`). Then the refresh token is not in the body: it is set as the
cookie `REST_AUTH["JWT_AUTH_REFRESH_COOKIE"]` (HttpOnly, Secure, SameSite, path
`/api/`: dj-rest-auth's cookie settings), and Django's CSRF cookie is set too.
The access token stays in the body (the app keeps it in memory).

`token/refresh/` and `logout/` take the refresh token from the body when it is
there (the mobile app: unchanged), otherwise from the cookie, and a token taken
from the cookie must come with the CSRF token (`X-CSRFToken` header, the value
of the `csrftoken` cookie) and pass Django's origin checks: a 403
`csrf_failed` otherwise. A refresh answered from the cookie rotates the cookie;
logout revokes its token and deletes the cookie.

Mobile clients, which do not opt in, get and send tokens in the body exactly as
before.
"""

from __future__ import annotations

from dj_rest_auth.app_settings import api_settings as rest_auth_settings
from dj_rest_auth.jwt_auth import set_jwt_refresh_cookie, unset_jwt_cookies
from django.middleware.csrf import get_token
from rest_framework.authentication import CSRFCheck
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import Forbidden

from . import error_codes

OPT_IN_HEADER = "X-Session-Cookie"
OPT_IN_QUERY = "cookie"
_TRUE = {"1", "true", "yes"}


def cookie_name() -> str | None:
    return rest_auth_settings.JWT_AUTH_REFRESH_COOKIE


def wants_cookie(request: Request) -> bool:
    """The client asked for the refresh token as a cookie."""
    flag = request.headers.get(OPT_IN_HEADER) or request.query_params.get(OPT_IN_QUERY) or ""
    return bool(cookie_name()) and flag.strip().lower() in _TRUE


def enforce_csrf(request: Request) -> None:
    """Django's CSRF check (token and origin), as for a form post; 403 otherwise."""
    django_request = request._request
    check = CSRFCheck(lambda _request: None)
    check.process_request(django_request)  # reads the CSRF cookie
    reason = check.process_view(django_request, None, (), {})
    if reason:
        raise Forbidden(error_codes.CSRF_FAILED, f"CSRF failed: {reason}")


def refresh_from_request(request: Request) -> tuple[dict, bool]:
    """The body's data, with `refresh` from the cookie when the body has none
    (CSRF enforced then); and whether the cookie supplied it."""
    data = request.data
    body = dict(data) if isinstance(data, dict) else data
    name = cookie_name()
    if not isinstance(body, dict) or body.get("refresh") or not name:
        return body, False
    token = request.COOKIES.get(name)
    if not token:
        return body, False
    enforce_csrf(request)
    return {**body, "refresh": token}, True


def deliver(request: Request, response: Response) -> Response:
    """Move `refresh` from the body into the cookie; hand out the CSRF token."""
    refresh = response.data.pop("refresh", None)
    if refresh:
        set_jwt_refresh_cookie(response, refresh)
    get_token(request._request)  # CsrfViewMiddleware sets the csrftoken cookie
    return response


def forget(response: Response) -> Response:
    unset_jwt_cookies(response)
    return response
