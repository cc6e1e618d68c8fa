"""The gateway consumer: one socket per client at ``/ws/``.

Inbound frames are read raw (to measure them and to answer bad JSON), rate
limited per socket, and dispatched to the built-in types or to the handlers apps
registered in ``realtime.registry``. Outbound events come from the channel
layer (``realtime.publish``) on the groups this socket joined: ``user.<id>``
always, ``stream.*`` on subscription. Domain work stays sync and is reached
through ``database_sync_to_async``, which also closes stale database connections.
"""

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404

from core import degraded, json_depth, metrics, request_id
from core.errors import error_body, rest_error_body
from core.exceptions import Conflict, DomainError, InvalidInput, NotFound

from . import codes, eventlog, presence, registry
from .auth import BEARER_SUBPROTOCOL, SCOPE_KEY, SocketAuthError, authenticate_session
from .backend import REALTIME_STORE_PART
from .catalogue import (
    STRING,
    declare_client_frame,
    declare_event,
    obj,
    ref,
)
from .groups import parse_stream, stream_group, user_group
from .publish import CHANNEL_LAYER_PART, envelope_text, utc_timestamp
from .publish import _gaps as publish_gaps
from .registry import RealtimeContext

logger = logging.getLogger(__name__)
# One line per socket connect and disconnect and per refused frame, with the
# fields of the HTTP access log (core.middleware.AccessLogMiddleware).
socket_logger = logging.getLogger("realtime.socket")
ROUTE = "/ws/"

# --- the gateway's own frames (realtime.catalogue) -------------------------------------

ERROR_BODY = obj(
    {
        "type": {
            "anyOf": [ref("ValidationErrorEnum"), ref("ClientErrorEnum"), ref("ServerErrorEnum")]
        },
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": obj(
                {
                    "code": STRING,
                    "detail": STRING,
                    "attr": {"type": "string", "nullable": True},
                }
            ),
        },
    }
)
STREAM = obj({"stream": {"type": "string", "description": "`forum`, `post:<id>`, ..."}})
ACK = declare_event(
    "ack",
    summary="A client frame was handled: `data` is its answer (see each client frame).",
    payload={"type": "object"},
    delivered_to="the socket that sent the frame, with its `ref`",
    envelope="reply",
)
ERROR = declare_event(
    "error",
    summary="A client frame was refused: `data` is the REST error body for the same refusal.",
    payload=ERROR_BODY,
    delivered_to="the socket that sent the frame, with its `ref` (null when unreadable)",
    envelope="reply",
)
RESYNC_REQUIRED = declare_event(
    "resync.required",
    summary="Events were missed that the log cannot replay: refetch over REST.",
    payload=obj({}),
    delivered_to="the socket (on resume with `?since=`, or live after a dropped publish)",
)
declare_event(
    codes.STREAM_ENDED,
    summary="A subscription ended; nothing more of its stream comes.",
    payload=obj(
        {
            "stream": STRING,
            "reason": {
                "type": "string",
                "description": "`not_visible`, `deleted`, `suspended`, or an app's (`removed`).",
            },
        }
    ),
    delivered_to="the sockets subscribed to the stream",
)
declare_client_frame(
    "ping",
    summary="Heartbeat (keeps you online); acked `{}`.",
    data={"type": "object"},
)
declare_client_frame(
    "subscribe", summary="Follow a stream; acked `{stream}` or `unknown_stream`.", data=STREAM
)
declare_client_frame(
    "unsubscribe", summary="Stop following a stream; acked `{stream}`.", data=STREAM
)
declare_client_frame(
    "auth.refresh",
    summary="A new access token before the current one expires; acked `{expires_at}`.",
    data=obj({"token": STRING}),
)
_LAYER_MESSAGE_PREFIX = "realtime."
_BUILTIN_TYPES = frozenset({"ping", "subscribe", "unsubscribe", "auth.refresh"})


def _frame_label(message_type) -> str:
    # Bounded label values: a client cannot mint a metric series per made-up type.
    if isinstance(message_type, str) and (
        message_type in _BUILTIN_TYPES or registry.get_handler(message_type) is not None
    ):
        return message_type
    return "other"


class TokenBucket:
    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.capacity = max(1, burst)
        self.tokens = float(self.capacity)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


async def _in_thread(func, *args):
    # Redis calls: blocking I/O with no database use, so not serialised on the main thread.
    return await sync_to_async(func, thread_sensitive=False)(*args)


class GatewayConsumer(AsyncWebsocketConsumer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = None
        self.joined_groups: set[str] = set()
        self.subscriptions: dict[str, str] = {}
        # The newest logged event this socket has sent (live or replayed): older
        # ones arriving live are dropped, and a live one whose predecessor is not
        # this one means some were missed.
        self.last_event_id: str | None = None
        self.expiry_task: asyncio.Task | None = None
        self.closing = False
        self.cleaned_up = False
        # The socket may be in the presence store (a registration was sent, even if
        # its answer was lost): its cleanup removes it.
        self.online = False
        self.presence_refreshed_at = 0.0
        self.presence_call: asyncio.Future | None = None
        self.strikes = 0
        self.hidden_actors: frozenset[str] = frozenset()
        self.request_id = request_id.NONE
        self.connected_at = 0.0
        self.accepted = False
        self.session_keys: frozenset[str] = frozenset()

    def _log_fields(self, **fields) -> dict:
        return {
            "user_id": str(self.user.pk) if self.user is not None else None,
            "route": ROUTE,
            **fields,
        }

    # --- lifecycle ----------------------------------------------------------------

    async def __call__(self, scope, receive, send):
        # Every log line of this socket (handlers included) carries its id: the
        # handshake's X-Request-ID if sane, else a fresh one.
        headers = dict(scope.get("headers") or [])
        sent = headers.get(b"x-request-id", b"").decode("latin-1") or None
        self.request_id = request_id.from_header(sent)
        token = request_id.set_(self.request_id)
        # A Redis outage (the channel layer's receive loop, joining a group) ends
        # the socket with 4013, "server unavailable", never an error handshake.
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            if not degraded.is_outage(exc):
                raise
            degraded.report(CHANNEL_LAYER_PART, exc, doing="serving a socket")
            if getattr(self, "base_send", None) is None:
                # Failed making its channel (a SUBSCRIBE), before Channels kept `send`.
                self.base_send = send
            await self._close_for_outage()
        finally:
            # However the consumer ended (its disconnect never dispatched because
            # the channel layer's receive failed on the way out, an error, a
            # cancellation), the connection is over, and with it its presence.
            if self.user is not None and not self.cleaned_up:
                await self._end_unclean()
            request_id.reset(token)

    async def _end_unclean(self) -> None:
        try:
            self._log_disconnect(1006)  # RFC 6455: the connection ended without a close
            await asyncio.shield(self._cleanup())
        except BaseException:
            logger.exception("Cleaning up an ended socket failed")

    async def dispatch(self, message):
        # Channels closes stale database connections before every handler: a hop
        # to the database thread for each event delivered to each socket, most
        # of a delivery's cost. The events pushed from the channel layer
        # (``realtime.*``) never touch the database; socket frames and the
        # handshake still get the check.
        if message["type"].startswith(_LAYER_MESSAGE_PREFIX):
            await getattr(self, get_handler_name(message))(message)
            return
        await super().dispatch(message)

    async def _close_for_outage(self) -> None:
        if not self.closing:
            self.closing = True
            code = codes.CLOSE_SERVER_UNAVAILABLE
            # Accepted first: a refused handshake is a bare 403 the client cannot
            # tell from a bad token; the close code says "reconnect with ?since=".
            if not self.accepted:
                try:
                    await self.base_send({"type": "websocket.accept"})
                except Exception as exc:
                    _log_close_failure(code, exc)
                else:
                    self.accepted = True
                    self.connected_at = time.monotonic()
                    metrics.OPEN_SOCKETS.inc()
            self._log_disconnect(code)
            await self._send_close(code)
        await self._cleanup()

    async def _send_close(self, code: int) -> None:
        # Not swallowed: a close the server refuses leaves the socket open and
        # silent (its groups are gone), which must show in the logs.
        try:
            await self.close(code)
        except Exception as exc:
            _log_close_failure(code, exc)

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        self.accepted = True

    async def connect(self):
        auth = self.scope.get(SCOPE_KEY)
        if auth is None:
            await self.close()
            return
        conf = settings.REALTIME
        self.user = auth.user
        self.session_keys = auth.session_keys
        self.max_frame_bytes = conf["MAX_FRAME_BYTES"]
        self.bucket = TokenBucket(conf["RATE_LIMIT_PER_SECOND"], conf["RATE_LIMIT_BURST"])
        self.max_strikes = conf["RATE_LIMIT_STRIKES"]
        self.max_subscriptions = conf["MAX_SUBSCRIPTIONS"]
        self.presence_refresh_interval = conf["PRESENCE_TTL_SECONDS"] / 4

        # Join before reading the backlog: an event logged meanwhile then arrives
        # live too, and is dropped by id instead of being lost.
        await self._join(user_group(self.user.pk))
        await self.accept(BEARER_SUBPROTOCOL if auth.via_subprotocol else None)
        self.connected_at = time.monotonic()
        self.accepted = True
        metrics.OPEN_SOCKETS.inc()
        socket_logger.info(
            "socket connected",
            extra=self._log_fields(event="socket.connect", status=101, duration_ms=0.0),
        )
        self._schedule_expiry(auth.seconds_left())
        await self._refresh_presence(force=True)
        since = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("since")
        if since:
            await self._replay(since[0])

    async def disconnect(self, code):
        self.closing = True
        self._log_disconnect(code)
        await self._cleanup()

    async def _close(self, code: int) -> None:
        if self.closing:
            return
        self.closing = True
        self._log_disconnect(code)
        await self._send_close(code)
        await self._cleanup()

    def _log_disconnect(self, code) -> None:
        if not self.accepted:
            return
        self.accepted = False
        metrics.OPEN_SOCKETS.dec()
        socket_logger.info(
            "socket disconnected",
            extra=self._log_fields(
                event="socket.disconnect",
                status=code,
                duration_ms=round((time.monotonic() - self.connected_at) * 1000, 2),
            ),
        )

    async def _cleanup(self) -> None:
        if self.cleaned_up:
            return
        self.cleaned_up = True
        if self.expiry_task is not None and self.expiry_task is not asyncio.current_task():
            self.expiry_task.cancel()
        for group in list(self.joined_groups):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception as exc:
                if not degraded.is_outage(exc):
                    logger.exception("Could not leave group %s", group)
                    continue
                # The server's subscriptions went with its connection to Redis.
                degraded.report(CHANNEL_LAYER_PART, exc, doing="leaving socket groups")
                break
        self.joined_groups.clear()
        self.subscriptions.clear()
        if self.online:
            self.online = False
            # A registration still on its way must land before the removal, or it
            # would put the closed socket back for a whole TTL.
            if self.presence_call is not None and not self.presence_call.done():
                await asyncio.wait([self.presence_call])
            try:
                went_offline = await asyncio.shield(
                    _in_thread(presence.mark_offline, self.user.pk, self.channel_name)
                )
            except Exception as exc:
                _log_store_failure(exc, "Presence update failed")
            else:
                if went_offline:
                    await presence.report_transition(self.user.pk, False)

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined_groups.add(group)

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.joined_groups.discard(group)

    # --- token expiry ---------------------------------------------------------------

    def _schedule_expiry(self, seconds_left: float) -> None:
        if self.expiry_task is not None:
            self.expiry_task.cancel()
        self.expiry_task = asyncio.create_task(self._expire_after(seconds_left))

    async def _expire_after(self, seconds_left: float) -> None:
        await asyncio.sleep(max(0.0, seconds_left))
        try:
            await self._close(codes.CLOSE_TOKEN_EXPIRED)
        except Exception:
            logger.exception("Closing an expired socket failed")

    # --- presence -------------------------------------------------------------------

    async def _refresh_presence(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.presence_refreshed_at < self.presence_refresh_interval:
            return
        if self.cleaned_up:
            return  # closed meanwhile (token expiry): it must not come back online
        self.presence_refreshed_at = now
        # Set before the call: a registration whose answer is lost (a timeout, a
        # cancellation) may still have been stored, and the cleanup must remove it.
        self.online = True
        self.presence_call = asyncio.ensure_future(
            _in_thread(presence.mark_online, self.user.pk, self.channel_name)
        )
        try:
            came_online = await asyncio.shield(self.presence_call)
        except Exception as exc:
            _log_store_failure(exc, "Presence update failed")
            return
        if came_online and not self.cleaned_up:
            await presence.report_transition(self.user.pk, True)

    # --- resume -------------------------------------------------------------------

    async def _replay(self, since: str) -> None:
        if self.user.pk in publish_gaps:
            # This process dropped events for the user unlogged; their log is
            # deleted before the next append, whose chain then starts at 0-0.
            self.last_event_id = eventlog.ZERO_ID
            await self._send_json(
                {"type": "resync.required", "id": None, "ts": utc_timestamp(), "data": {}}
            )
            return
        if not await self._send_logged_since(since):
            return
        if self.last_event_id is None:  # nothing after it: it is the newest
            self.last_event_id = since

    async def _send_logged_since(self, since: str) -> bool:
        """Send what the user's log holds after ``since`` and this socket has not
        sent yet; False (after a ``resync.required`` frame) when it cannot."""
        try:
            events, newest = await _in_thread(eventlog.read_since_or_newest, self.user.pk, since)
        except Exception as exc:
            _log_store_failure(exc, "Reading the event log failed")
            events = newest = None
        if events is None:
            # The client refetches what was logged up to `newest`; later events
            # chain from it, so one that never came live is still noticed.
            if newest is not None and not self._sent_already(newest):
                self.last_event_id = newest
            await self._send_json(
                {"type": "resync.required", "id": None, "ts": utc_timestamp(), "data": {}}
            )
            return False
        for event in events:
            if self._sent_already(event.id):
                continue
            metrics.frame_out(event.type)
            await self.send(
                text_data=envelope_text(
                    event_type=event.type, event_id=event.id, ts=event.ts, data_json=event.data_json
                )
            )
            self.last_event_id = event.id
        return True

    def _sent_already(self, event_id: str) -> bool:
        """At or before the newest logged event sent (ids increase per user)."""
        return self.last_event_id is not None and eventlog.parse_event_id(
            event_id
        ) <= eventlog.parse_event_id(self.last_event_id)

    # --- channel layer messages ---------------------------------------------------------

    async def realtime_event(self, message):
        if self.closing:
            return
        event_id = message.get("id")
        if event_id is not None:
            if eventlog.parse_event_id(event_id) is None:
                return
            if self._sent_already(event_id):
                return  # sent already, from the log
            prev = message.get("prev")
            # One logged before this never came live (a failed or a later
            # publish): the log has both, in order.
            if (
                prev is not None
                and self.last_event_id is not None
                and prev != self.last_event_id
                and await self._send_logged_since(self.last_event_id)
                and self._sent_already(event_id)
            ):
                return
            self.last_event_id = event_id
        actor = message.get("actor")
        if actor is not None and (
            actor in self.hidden_actors
            or (message.get("skip_actor") and actor == str(self.user.pk))
        ):
            return
        metrics.frame_out(message.get("event_type") or "event")
        await self.send(text_data=message["text"])

    async def realtime_revoke(self, message):
        """Visibility changed (``realtime.publish.recheck_*`` / ``end_*``): end
        the subscriptions concerned that no longer pass. Channels hands a consumer
        its messages one at a time, so events queued behind this wait for it."""
        if self.closing:
            return
        if message.get("refresh_hidden"):
            try:
                self.hidden_actors = await database_sync_to_async(registry.hidden_actors_for)(
                    self.user
                )
            except Exception:
                logger.exception("Refreshing hidden actors failed")
        streams, kinds = message.get("streams"), message.get("kinds")
        concerned = [
            stream
            for stream in self.subscriptions
            if (streams is None or stream in streams)
            and (kinds is None or parse_stream(stream)[0] in kinds)
        ]
        if not concerned:
            return
        allowed = await self._visible(concerned) if message.get("recheck") else set()
        reason = message.get("reason") or codes.STREAM_NOT_VISIBLE
        for stream in concerned:
            if stream not in allowed:
                await self._end_subscription(stream, reason)

    async def _end_subscription(self, stream: str, reason: str) -> None:
        group = self.subscriptions.pop(stream, None)
        if group is None:
            return
        await self._leave(group)
        data = _encode({"stream": stream, "reason": reason})
        await self.send(
            text_data=envelope_text(
                event_type=codes.STREAM_ENDED,
                event_id=None,
                ts=utc_timestamp(),
                data_json=data,
                stream=stream,
            )
        )

    async def realtime_layer_lost(self, message):
        """This server's subscriber connection to Redis dropped (realtime.layer):
        live events may have been missed. Closed with 4013, the client reconnects
        with ``?since=`` and the event log replays them."""
        await self._close_for_outage()

    async def realtime_resync(self, message):
        """Events for this user were dropped without being logged (realtime.publish):
        the client refetches. The mark stays: the next live event, chained to a log
        that no longer has it, brings a second ``resync.required`` rather than a gap."""
        if self.closing:
            return
        await self._send_json(
            {"type": "resync.required", "id": None, "ts": utc_timestamp(), "data": {}}
        )

    async def realtime_disconnect(self, message):
        sessions = message.get("sessions")
        if sessions is not None and self.session_keys.isdisjoint(sessions):
            return  # another session of the user (logout ends only its own)
        await self._close(message.get("code", codes.CLOSE_DISCONNECTED))

    # --- inbound frames ---------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if self.closing:
            return
        if not self.bucket.take():
            metrics.frame_in("rate_limited")
            self.strikes += 1
            await self._send_error(
                None, codes.RATE_LIMITED, "Too many frames; slow down.", status=429
            )
            if self.strikes >= self.max_strikes:
                await self._close(codes.CLOSE_RATE_LIMITED)
            return
        self.strikes = 0
        if self._too_large(text_data, bytes_data):
            await self._send_error(
                None,
                codes.FRAME_TOO_LARGE,
                f"Frames are limited to {self.max_frame_bytes} bytes.",
                status=413,
            )
            return
        await self._refresh_presence()
        if text_data is None:
            await self._send_error(None, codes.MALFORMED_FRAME, "Binary frames are not supported.")
            return
        try:
            frame = json_depth.loads(text_data, max_depth=int(settings.API_JSON_MAX_DEPTH))
        except ValueError:
            metrics.frame_in("malformed")
            await self._send_error(None, codes.MALFORMED_FRAME, "Frame is not valid JSON.")
            return
        if not isinstance(frame, dict):
            await self._send_error(None, codes.MALFORMED_FRAME, "Frame must be a JSON object.")
            return
        ref = frame.get("ref")
        if not _valid_ref(ref):
            await self._send_error(
                None, codes.MALFORMED_FRAME, "ref must be a string or an integer."
            )
            return
        message_type = frame.get("type")
        metrics.frame_in(_frame_label(message_type))
        if not isinstance(message_type, str) or not message_type:
            await self._send_error(ref, codes.MALFORMED_FRAME, "Frame has no type.")
            return
        data = frame.get("data")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            await self._send_error(ref, codes.INVALID_DATA, "data must be an object.")
            return
        await self._handle(message_type, ref, data)

    def _too_large(self, text_data, bytes_data) -> bool:
        if bytes_data is not None:
            return len(bytes_data) > self.max_frame_bytes
        if len(text_data) > self.max_frame_bytes:
            return True
        # A character takes up to 4 bytes in UTF-8; encode only when it could matter.
        return (
            len(text_data) * 4 > self.max_frame_bytes
            and len(text_data.encode("utf-8")) > self.max_frame_bytes
        )

    async def _handle(self, message_type: str, ref, data: dict) -> None:
        try:
            result = await self._dispatch(message_type, data)
            if self.closing:
                return
            if result is None:
                result = {}
            if not isinstance(result, Mapping):
                raise TypeError(f"Handler for {message_type!r} returned {type(result).__name__}.")
            reply = _encode({"type": "ack", "ref": ref, "data": result})
        except Exception as exc:
            if degraded.is_outage(exc):
                degraded.report(CHANNEL_LAYER_PART, exc, doing=f"handling {message_type}")
                await self._close_for_outage()
                return
            # Whatever REST answers with a 4xx (a DomainError, a DRF or Django
            # refusal) is answered here with the same code; the rest is a bug.
            body = rest_error_body(exc)
            if body is None:
                logger.exception("Realtime handler for %r failed", message_type)
                await self._send_error(
                    ref, codes.INTERNAL_ERROR, "The server could not do that.", status=500
                )
            else:
                await self._send_error_body(ref, body)
            return
        metrics.frame_out("ack")
        await self.send(text_data=reply)

    async def _dispatch(self, message_type: str, data: dict):
        builtin = {
            "ping": self._ping,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "auth.refresh": self._auth_refresh,
        }.get(message_type)
        if builtin is not None:
            return await builtin(data)
        handler = registry.get_handler(message_type)
        if handler is None:
            raise NotFound(codes.UNKNOWN_TYPE, f"Unknown message type {message_type!r}.")
        context = RealtimeContext(
            user=self.user,
            channel_name=self.channel_name,
            subscriptions=frozenset(self.subscriptions),
            scope=self.scope,
        )
        return await handler(context, data)

    # --- built-in types ---------------------------------------------------------------

    async def _ping(self, data: dict) -> dict:
        await self._refresh_presence(force=True)
        return {}

    async def _subscribe(self, data: dict) -> dict:
        stream = _stream_from(data)
        if stream not in self.subscriptions and len(self.subscriptions) >= self.max_subscriptions:
            raise Conflict(
                codes.TOO_MANY_SUBSCRIPTIONS,
                f"A socket may follow at most {self.max_subscriptions} streams.",
            )
        # Checked again when already subscribed: the answer is the rule's as of now.
        if stream not in await self._visible([stream]):
            group = self.subscriptions.pop(stream, None)
            if group is not None:
                await self._leave(group)
            raise NotFound(codes.UNKNOWN_STREAM, "No such stream.")
        if stream in self.subscriptions:
            return {"stream": stream}
        # Refreshed on every subscribe: blocks made since then apply from the next one.
        self.hidden_actors = await database_sync_to_async(registry.hidden_actors_for)(self.user)
        group = stream_group(stream)
        await self._join(group)
        self.subscriptions[stream] = group
        return {"stream": stream}

    async def _unsubscribe(self, data: dict) -> dict:
        stream = _stream_from(data)
        group = self.subscriptions.pop(stream, None)
        if group is not None:
            await self._leave(group)
        return {"stream": stream}

    async def _visible(self, streams: list[str]) -> set[str]:
        """The ``streams`` this socket's user may follow now: one checker call per
        kind when the kind registered a ``many`` checker. Fails closed."""
        by_kind: dict[str, dict] = {}
        for stream in streams:
            try:
                kind, arg = parse_stream(stream)
            except ValueError:
                continue
            by_kind.setdefault(kind, {})[arg] = stream
        visible: set[str] = set()
        for kind, by_arg in by_kind.items():
            try:
                allowed = await database_sync_to_async(registry.allowed_args)(
                    self.user, kind, list(by_arg)
                )
            except (ValueError, ValidationError, ObjectDoesNotExist, Http404, DomainError):
                continue
            except Exception:
                logger.exception("Stream checker for %r failed", kind)
                continue
            visible.update(by_arg[arg] for arg in allowed)
        return visible

    async def _auth_refresh(self, data: dict) -> dict | None:
        raw_token = data.get("token")
        if not isinstance(raw_token, str) or not raw_token:
            raise InvalidInput(codes.INVALID_DATA, "data.token is required.", field="token")
        try:
            user, expires_at, keys = await database_sync_to_async(authenticate_session)(
                raw_token, expected_user_id=self.user.pk
            )
        except SocketAuthError as exc:
            if exc.code == "user_inactive":
                await self._close(codes.CLOSE_DISCONNECTED)
                return None
            raise InvalidInput(
                codes.INVALID_TOKEN, "Token is invalid or expired.", field="token"
            ) from None
        self.user = user
        # Still named by the session it started with: a logout of either ends it.
        self.session_keys = self.session_keys | keys
        self._schedule_expiry(expires_at - time.time())
        expires = datetime.fromtimestamp(expires_at, UTC).isoformat().replace("+00:00", "Z")
        return {"expires_at": expires}

    # --- output -------------------------------------------------------------------

    async def send(self, text_data=None, bytes_data=None, close=False):
        # The client may be gone before its disconnect reaches this consumer:
        # daphne then refuses the frame (ASGI servers raise an OSError). What
        # was meant for it is in its event log; the disconnect cleans up.
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except (Disconnected, OSError):
            if not self.closing:
                self.closing = True
                socket_logger.debug(
                    "socket closed under a send", extra=self._log_fields(event="socket.gone")
                )

    async def _send_json(self, content: dict) -> None:
        metrics.frame_out(content.get("type") or "other")
        await self.send(text_data=_encode(content))

    async def _send_error(
        self, ref, code: str, message: str, *, field: str | None = None, status: int = 400
    ) -> None:
        """A refusal of the gateway's own, in REST's error shape."""
        body = error_body(status_code=status, code=code, detail=message, attr=field)
        await self._send_error_body(ref, body)

    async def _send_error_body(self, ref, body: dict) -> None:
        """`{"type": "error", "ref", "data"}`, `data` exactly the REST error body
        (`{"type", "errors": [{"code", "detail", "attr"}]}`)."""
        first = body["errors"][0] if body.get("errors") else {}
        socket_logger.info(
            "socket frame refused: %s",
            first.get("code"),
            extra=self._log_fields(
                event="socket.frame_error", code=first.get("code"), field=first.get("attr")
            ),
        )
        await self._send_json({"type": "error", "ref": ref, "data": body})


def _log_close_failure(code: int, exc: Exception) -> None:
    logger.warning(
        "Closing a socket with %s failed; it may stay open: %s: %s",
        code,
        type(exc).__name__,
        exc,
        exc_info=not isinstance(exc, Disconnected | OSError),
    )


def _log_store_failure(exc: Exception, message: str) -> None:
    if degraded.is_outage(exc):
        degraded.report(REALTIME_STORE_PART, exc, doing=message.lower())
    else:
        logger.exception(message)


def _valid_ref(ref) -> bool:
    if ref is None:
        return True
    if isinstance(ref, str):
        return len(ref) <= 128
    return isinstance(ref, int) and not isinstance(ref, bool)


def _stream_from(data: dict) -> str:
    stream = data.get("stream")
    if not isinstance(stream, str) or not stream:
        raise InvalidInput(codes.INVALID_DATA, "data.stream is required.", field="stream")
    return stream


def _encode(content) -> str:
    return json.dumps(content, cls=DjangoJSONEncoder)
