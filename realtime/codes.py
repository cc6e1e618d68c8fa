"""Close codes and error codes of the realtime gateway, in one place.

Close codes (RFC 6455 reserves 4000-4999 for applications). Only 1000 and
3000-4999 can be sent at all: daphne's autobahn refuses any other code a server
application closes with (``invalid close code ... (must be 1000 or from [3000,
4999])``) and the socket then stays open, silently. ``CLOSE_CODES`` lists every
code the gateway sends; tests/realtime/test_close_codes.py holds them to that.

- 4001 ``CLOSE_TOKEN_EXPIRED``: the access token expired and no ``auth.refresh``
  brought a new one in time. Refresh the token over REST and reconnect.
- 4003 ``CLOSE_DISCONNECTED``: the server ended the session: the client logged
  out of it (``users.sessions.end_session``: only that session's sockets), the
  account was suspended or deactivated (``users.services.suspend_user``), or a
  refreshed token belongs to a user who may no longer sign in. Do not reconnect
  automatically.
- 4008 ``CLOSE_RATE_LIMITED``: the client kept flooding after its frames were
  refused with ``rate_limited``. Back off before reconnecting.
- 4013 ``CLOSE_SERVER_UNAVAILABLE`` ("server unavailable, reconnect with
  ``?since=``"; the 4000 range's echo of RFC 6455's 1013 "try again later",
  which a server cannot send through daphne): the server's Redis (channel
  layer, event log) is unavailable, or its subscriber connection dropped so live
  events may have been missed. The socket is accepted and closed at once during
  the handshake, or closed while open. Reconnect with backoff, with
  ``?since=<last event id>``: the missed events come in order, or
  ``resync.required`` when some could not be logged (published during the
  outage); REST keeps working meanwhile.

A handshake without a valid token (missing, malformed, expired, signed out,
unknown or suspended user) or from a foreign Origin is refused before it is accepted: the
client sees the upgrade fail (HTTP 403), not a close code.

Reasons of a ``stream.ended`` frame (``{"stream", "reason"}``: the subscription
ended, nothing more of the stream comes; subscribing again is checked afresh):

- ``not_visible``: you may no longer see what the stream is about (it went private
  or followers-only, was hidden, you unfollowed, a block came between you).
- ``deleted``: its object was deleted.
- ``suspended``: your account was suspended (the socket closes with 4003 next).
- apps add their own (``removed``: you left or were removed from a conversation).

Errors are sent as ``{"type": "error", "ref": ..., "data": <the REST error body>}``:
``data`` is exactly what REST answers for the same refusal,
``{"type": "validation_error" | "client_error" | "server_error", "errors": [{"code",
"detail", "attr"}]}`` (drf-standardized-errors; ``attr`` names the field or is
null). The socket stays open after every one of them except where a close follows.
The gateway's own codes:

- ``malformed_frame``: not JSON, not an object, a binary frame, no ``type``, or a bad ``ref``.
- ``frame_too_large``: the frame exceeds ``REALTIME["MAX_FRAME_BYTES"]`` (sent without ``ref``).
- ``rate_limited``: too many frames; after ``RATE_LIMIT_STRIKES`` refusals in a row
  the socket is closed with 4008.
- ``unknown_type``: no handler for this ``type``.
- ``invalid_data``: ``data`` is not an object or misses a required field.
- ``unknown_stream``: the stream does not exist *or* the user may not see it
  (one code for both, so a private object cannot be told from a missing one).
- ``too_many_subscriptions``: ``REALTIME["MAX_SUBSCRIPTIONS"]`` reached.
- ``invalid_token``: ``auth.refresh`` with a token that is invalid, expired or
  belongs to another user.
- ``internal_error``: a handler failed unexpectedly (logged server-side).

Domain handlers raise ``core.exceptions.DomainError`` with their app's codes
(``forum/error_codes.py``, ...), or DRF's ``ValidationError`` from a serializer: the
frame's ``data`` is the body REST gives for the same exception
(``core.errors.rest_error_body`` formats both), every error of it.
"""

CLOSE_TOKEN_EXPIRED = 4001
CLOSE_DISCONNECTED = 4003
CLOSE_RATE_LIMITED = 4008
CLOSE_SERVER_UNAVAILABLE = 4013
CLOSE_CODES = frozenset(
    {CLOSE_TOKEN_EXPIRED, CLOSE_DISCONNECTED, CLOSE_RATE_LIMITED, CLOSE_SERVER_UNAVAILABLE}
)


def sendable(code: int) -> bool:
    """A close code a server can send through daphne (autobahn's rule)."""
    return code == 1000 or 3000 <= code <= 4999


STREAM_ENDED = "stream.ended"
STREAM_NOT_VISIBLE = "not_visible"
STREAM_DELETED = "deleted"
STREAM_SUSPENDED = "suspended"

MALFORMED_FRAME = "malformed_frame"
FRAME_TOO_LARGE = "frame_too_large"
RATE_LIMITED = "rate_limited"
UNKNOWN_TYPE = "unknown_type"
INVALID_DATA = "invalid_data"
UNKNOWN_STREAM = "unknown_stream"
TOO_MANY_SUBSCRIPTIONS = "too_many_subscriptions"
INVALID_TOKEN = "invalid_token"
INTERNAL_ERROR = "internal_error"
