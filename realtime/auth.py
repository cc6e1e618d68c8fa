"""Socket authentication: the access JWT, checked at the handshake.

The token comes in the subprotocol header (``Sec-WebSocket-Protocol: bearer,
<jwt>``; the gateway accepts with subprotocol ``bearer``) or, for clients that
cannot set it, in ``?token=<jwt>``. An ``Origin``, when sent (browsers), must be a
configured web origin or the server's own (``OriginMiddleware``); native clients
send none and are let in by their token. It is validated by SimpleJWT, the user is
loaded by the token's claim and must pass SimpleJWT's
``USER_AUTHENTICATION_RULE`` (active, not suspended). Anything else and the
handshake is refused before it is accepted.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from core import request_id

from . import registry

BEARER_SUBPROTOCOL = "bearer"
SCOPE_KEY = "realtime_auth"


class SocketAuthError(Exception):
    """``code`` is ``invalid_token``, ``token_revoked`` (its session was signed
    out) or ``user_inactive``."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SocketAuth:
    user: Any
    # Epoch seconds after which the token is no longer valid (exp + leeway).
    expires_at: float
    via_subprotocol: bool
    # What publish.disconnect_user(..., sessions=...) may name this socket by.
    session_keys: frozenset[str] = frozenset()

    def seconds_left(self) -> float:
        return self.expires_at - time.time()


def token_from_scope(scope) -> tuple[str | None, bool]:
    """(raw token, came by subprotocol)."""
    subprotocols = scope.get("subprotocols") or []
    if len(subprotocols) >= 2 and subprotocols[0].strip().lower() == BEARER_SUBPROTOCOL:
        return subprotocols[1].strip(), True
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    tokens = query.get("token")
    return (tokens[0], False) if tokens else (None, False)


def authenticate_token(raw_token: str, *, expected_user_id=None) -> tuple[Any, float]:
    """Sync: (user, expires_at) for a valid access token, else SocketAuthError.

    With ``expected_user_id``, a token for anyone else is ``invalid_token``.
    """
    user, expires_at, _ = authenticate_session(raw_token, expected_user_id=expected_user_id)
    return user, expires_at


def authenticate_session(
    raw_token: str, *, expected_user_id=None
) -> tuple[Any, float, frozenset[str]]:
    """``authenticate_token`` and the token's session keys; a token whose session
    was signed out (``registry.register_token_check``) is ``token_revoked``."""
    try:
        token = AccessToken(raw_token)
        claimed_user_id = str(token.get(api_settings.USER_ID_CLAIM))
        if expected_user_id is not None and claimed_user_id != str(expected_user_id):
            raise SocketAuthError("invalid_token")
        user = JWTAuthentication().get_user(token)
    except (TokenError, InvalidToken):
        raise SocketAuthError("invalid_token") from None
    except AuthenticationFailed as exc:
        code = "user_inactive" if exc.get_codes() == "user_inactive" else "invalid_token"
        raise SocketAuthError(code) from None
    if not api_settings.USER_AUTHENTICATION_RULE(user):
        raise SocketAuthError("user_inactive")
    if registry.token_refused(token.payload):
        raise SocketAuthError("token_revoked")
    leeway = token.get_token_backend().get_leeway().total_seconds()
    return user, float(token["exp"]) + leeway, registry.token_keys(token.payload)


async def _refuse_handshake(receive, send) -> None:
    # Plain ASGI rather than a consumer: a refused handshake costs no channel-layer channel.
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


def _log_refusal(scope, reason: str) -> None:
    # The reason code only: never the token, nor the query string that carried it.
    headers = dict(scope.get("headers") or [])
    sent = headers.get(b"x-request-id", b"").decode("latin-1") or None
    logging.getLogger("realtime.socket").info(
        "socket refused: %s",
        reason,
        extra={
            "event": "socket.refused",
            "request_id": request_id.from_header(sent),
            "user_id": None,
            "route": "/ws/",
            "status": 403,
            "code": reason,
        },
    )


class JWTAuthMiddleware(BaseMiddleware):
    """Puts ``user`` and ``realtime_auth`` (a SocketAuth) in the scope, or refuses."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await super().__call__(scope, receive, send)
        raw_token, via_subprotocol = token_from_scope(scope)
        auth = None
        reason = "no_token"
        if raw_token:
            try:
                user, expires_at, keys = await database_sync_to_async(authenticate_session)(
                    raw_token
                )
            except SocketAuthError as exc:
                reason = exc.code
            else:
                auth = SocketAuth(
                    user=user,
                    expires_at=expires_at,
                    via_subprotocol=via_subprotocol,
                    session_keys=keys,
                )
        if auth is None:
            _log_refusal(scope, reason)
            return await _refuse_handshake(receive, send)
        scope = dict(scope, user=auth.user, **{SCOPE_KEY: auth})
        return await self.inner(scope, receive, send)


def origin_allowed(origin: str, host: str | None) -> bool:
    """A browser page's origin may open the socket when it is one of the configured
    web origins (``CORS_ALLOWED_ORIGINS``, or any with ``CORS_ALLOW_ALL_ORIGINS``)
    or the server's own (same origin: its host and port are the ``Host`` the
    handshake came to). Being in ``ALLOWED_HOSTS`` is not enough: that names this
    server, not the pages allowed to talk to it."""
    origin = origin.strip().lower().rstrip("/")
    if getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False):
        return origin != "null"
    configured = {o.strip().lower().rstrip("/") for o in settings.CORS_ALLOWED_ORIGINS}
    if origin in configured:
        return True
    parsed = urlsplit(origin)
    return bool(
        parsed.scheme in {"http", "https"}
        and parsed.netloc
        and host is not None
        and parsed.netloc == host.strip().lower()
    )


class OriginMiddleware(BaseMiddleware):
    """Refuses a handshake whose ``Origin`` is not an allowed web origin. A
    handshake without one (native apps, servers) goes on to the token check:
    browsers always send it, so its absence is no browser page."""

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            headers = dict(scope.get("headers") or [])
            origin = headers.get(b"origin")
            host = headers.get(b"host")
            if origin is not None and not origin_allowed(
                origin.decode("latin-1"), host.decode("latin-1") if host else None
            ):
                _log_refusal(scope, "origin_not_allowed")
                return await _refuse_handshake(receive, send)
        return await self.inner(scope, receive, send)
