"""Dispatch table of the gateway: inbound message handlers and stream visibility checks.

Domain apps register from ``AppConfig.ready()``; the gateway imports no app::

    from realtime.registry import register_handler, register_stream

    register_handler("chat.message.sent", chat.realtime.message_sent)
    register_stream("post", forum.selectors.can_see_post_stream)

A handler receives a ``RealtimeContext`` and the frame's ``data`` dict and returns
the ``ack`` data (a dict, or None for ``{}``), or raises, like any service, a
``core.exceptions.DomainError`` for an ``error`` reply: the frame carries the code
(and field) REST would answer with. So do DRF's and Django's refusals (a
serializer's ``ValidationError``, ``Http404``, ``PermissionDenied``); anything else
is logged and answered ``internal_error``. Handlers may be ``async def`` or plain sync
functions; sync ones run in a worker thread through ``database_sync_to_async`` so
they can call services directly.

A stream checker is a sync callable ``(user, arg) -> bool`` (``arg`` is ``None``
for streams without one, like ``forum``), run through ``database_sync_to_async``.
It must answer False both for objects that do not exist and for objects the
user may not see. A kind may also give ``many``, a sync callable
``(user, [arg, ...]) -> allowed args`` answering for several streams of the kind in
one query: the gateway uses it when it re-checks a socket's subscriptions.

Visibility is re-checked not per event but when it changes: the app whose rule
changed calls ``realtime.publish.recheck_stream`` (a post went private, was
hidden), ``recheck_user_streams`` (a user unfollowed, blocked, was removed from a
conversation) or ``end_stream`` / ``end_user_streams`` (deleted, suspended). Each
socket concerned runs the checker again (or not at all, for an end) and ends the
subscriptions that no longer pass with a ``stream.ended`` frame; the socket handles
its channel-layer messages one at a time, so no event sent after the change reaches
it through an ended subscription.
"""

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import ImproperlyConfigured

BUILTIN_TYPES = frozenset({"subscribe", "unsubscribe", "auth.refresh", "ping"})
_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")


@dataclass(frozen=True)
class RealtimeContext:
    user: Any
    channel_name: str
    subscriptions: frozenset[str]
    scope: dict


Handler = Callable[[RealtimeContext, dict], Awaitable[dict | None]]
StreamChecker = Callable[[Any, str | None], bool]
StreamBatchChecker = Callable[[Any, list], Iterable]

_handlers: dict[str, Handler] = {}
_handler_sources: dict[str, Callable] = {}
_stream_checkers: dict[str, StreamChecker] = {}
_stream_batch_checkers: dict[str, StreamBatchChecker] = {}
_hidden_actors: list[Callable[[Any], Any]] = []
_token_checks: list[Callable[[Any], bool]] = []
_token_keys: list[Callable[[Any], Iterable[str]]] = []


def register_handler(type_name: str, handler: Callable) -> None:
    if not _TYPE_RE.match(type_name) or type_name in BUILTIN_TYPES:
        raise ImproperlyConfigured(f"Cannot register a realtime handler for {type_name!r}.")
    if _handler_sources.get(type_name, handler) is not handler:
        raise ImproperlyConfigured(f"A realtime handler for {type_name!r} is already registered.")
    _handler_sources[type_name] = handler
    _handlers[type_name] = (
        handler if inspect.iscoroutinefunction(handler) else database_sync_to_async(handler)
    )


def unregister_handler(type_name: str) -> None:
    _handlers.pop(type_name, None)
    _handler_sources.pop(type_name, None)


def get_handler(type_name: str) -> Handler | None:
    return _handlers.get(type_name)


def register_stream(
    kind: str, checker: StreamChecker, *, many: StreamBatchChecker | None = None
) -> None:
    if not _KIND_RE.match(kind):
        raise ImproperlyConfigured(f"Invalid realtime stream kind {kind!r}.")
    if _stream_checkers.get(kind, checker) is not checker:
        raise ImproperlyConfigured(f"A checker for stream kind {kind!r} is already registered.")
    _stream_checkers[kind] = checker
    if many is not None:
        _stream_batch_checkers[kind] = many
    else:
        _stream_batch_checkers.pop(kind, None)


def unregister_stream(kind: str) -> None:
    _stream_checkers.pop(kind, None)
    _stream_batch_checkers.pop(kind, None)


def allowed_args(user, kind: str, args: list) -> set:
    """The ``args`` of streams of ``kind`` that ``user`` may follow now (sync): one
    call of the kind's ``many`` checker, else its checker once per arg."""
    many = _stream_batch_checkers.get(kind)
    if many is not None:
        wanted = set(args)
        return {arg for arg in many(user, list(args)) if arg in wanted}
    checker = _stream_checkers.get(kind)
    if checker is None:
        return set()
    return {arg for arg in args if checker(user, arg)}


def get_stream_checker(kind: str) -> StreamChecker | None:
    return _stream_checkers.get(kind)


def register_hidden_actors(source: Callable[[Any], Any]) -> None:
    """`source(user)` -> ids of users whose stream events `user` must not get (blocks).

    Run (sync, in a thread) when the socket subscribes to a stream; events that a
    publisher tagged with one of those actors are then skipped for this socket.
    """
    if source not in _hidden_actors:
        _hidden_actors.append(source)


def hidden_actors_for(user) -> frozenset[str]:
    hidden: set[str] = set()
    for source in _hidden_actors:
        hidden.update(str(actor_id) for actor_id in source(user))
    return frozenset(hidden)


def register_token_check(refused: Callable[[Any], bool]) -> None:
    """`refused(payload)` -> True for a valid access token that must be refused
    anyway (its session was signed out). Run (sync) at the handshake and on
    ``auth.refresh``, after the signature and the user are checked."""
    if refused not in _token_checks:
        _token_checks.append(refused)


def token_refused(payload) -> bool:
    return any(refused(payload) for refused in _token_checks)


def register_token_keys(keys: Callable[[Any], Iterable[str]]) -> None:
    """`keys(payload)` -> the keys a socket with this token answers to in
    ``publish.disconnect_user(..., sessions=...)`` (its session id, its jti)."""
    if keys not in _token_keys:
        _token_keys.append(keys)


def token_keys(payload) -> frozenset[str]:
    return frozenset(key for keys in _token_keys for key in keys(payload) if key)
