"""Send events to sockets from sync service code, after the transaction commits.

Every function here schedules its work with ``transaction.on_commit``: inside an
atomic block nothing leaves before the commit and nothing at all after a
rollback; outside one it runs at once. Call them from sync code (services,
tasks, sync handlers), never from a coroutine.

- ``publish_to_users(user_ids, event_type, data)``: appended to each user's
  event log (which gives it its id, used for ``?since=`` resume), then sent to
  every socket of each user. ``persist=False`` skips the log for ephemeral events
  (typing): they carry ``"id": null`` and are never replayed.
- ``publish_batch([(user_id, event_type, data), ...])``: one event per entry, each
  to one user, in a few Redis round trips per ``REALTIME["PUBLISH_CHUNK_SIZE"]``
  entries (one call appends the chunk to the logs, one pipeline and one call per
  channel-layer shard send it) instead of several per entry. Each user gets
  exactly what ``publish_to_users([user_id], event_type, data)`` per entry would
  give them, their entries in the given order.
- ``publish_to_stream(stream, event_type, data)``: to the sockets subscribed to a
  public stream (``"forum"``, ``"post:<id>"``). Not logged: ``"id": null`` and a
  ``"stream"`` field. Everything in ``data`` reaches every subscriber.
- ``disconnect_user(user_id, code=4003, sessions=None)``: closes every open socket
  of the user, or with ``sessions`` only those whose token carries one of these
  keys (its ``jti`` or session id, ``realtime.registry.register_token_keys``).
- ``recheck_stream(stream)`` / ``recheck_user_streams(user_ids)``: visibility
  changed (a post went private or was hidden; a user unfollowed, blocked or was
  blocked, left a conversation). Every socket subscribed to the stream (or every
  socket of those users, for their subscriptions) runs the stream's checker again
  and ends what no longer passes; users' sockets also refresh whom they hide.
- ``end_stream(stream, reason=...)`` / ``end_user_streams(user_ids, ...)``: the
  subscriptions end without a check (the post was deleted, the user suspended).

An ended subscription is answered by one frame, ``{"type": "stream.ended", "id":
null, "stream": "post:<id>", "data": {"stream": "post:<id>", "reason": ...}}``
(reasons in ``realtime.codes``); nothing of that stream reaches the socket
after it, and subscribing again is checked afresh.

Addressed events go out in chunks, each logged (one atomic call, all or nothing)
before it is sent, so a socket never gets a live event that resume would not
replay. A chunk whose log append fails is not sent at all; a chunk logged but not
sent reaches its users' open sockets with their next logged event (each carries
the id logged before it, and a socket that did not see that one reads what it
missed from the log first), and their closed ones on resume. Either way the remaining chunks
still go, and then ``PublishError`` names the users concerned (after commit it
is logged, never raised into the caller).

When Redis is out (``core.degraded``) events are dropped with a rate-limited
warning instead, and no PublishError: the caller's work is done and a request
must not fail for it. Users whose events were dropped before being logged have
their event log deleted once Redis answers again (their next ``?since=`` resume
answers ``resync.required``, and the client refetches over REST), so a resume
never silently skips what the outage dropped.
"""

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

from core import degraded, metrics
from core.transactions import after_commit

from . import eventlog
from .backend import REALTIME_STORE_PART, realtime_settings
from .codes import CLOSE_DISCONNECTED, STREAM_DELETED, STREAM_NOT_VISIBLE, sendable
from .groups import stream_group, user_group
from .layer import group_send_many, tell_local

logger = logging.getLogger(__name__)

CHANNEL_LAYER_PART = "channel_layer"
EVENT_MESSAGE = "realtime.event"
DISCONNECT_MESSAGE = "realtime.disconnect"
REVOKE_MESSAGE = "realtime.revoke"
RESYNC_MESSAGE = "realtime.resync"
_EVENT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class PublishError(Exception):
    """Some events of a publish did not go out.

    ``not_logged``: users whose event was neither logged nor sent. ``not_sent``:
    users whose event was logged (so resume replays it) but maybe not sent live.
    One user id per event, in publish order.
    """

    def __init__(self, *, not_logged: list[str], not_sent: list[str], total: int):
        self.not_logged = not_logged
        self.not_sent = not_sent
        self.total = total
        super().__init__(
            f"{len(not_logged)} of {total} realtime events neither logged nor sent "
            f"(users {_sample(not_logged)}); {len(not_sent)} logged but maybe not sent "
            f"live (users {_sample(not_sent)})"
        )


def _sample(user_ids: list[str], shown: int = 5) -> str:
    more = f" and {len(user_ids) - shown} more" if len(user_ids) > shown else ""
    return "[" + ", ".join(user_ids[:shown]) + "]" + more


@dataclass(frozen=True)
class _Addressed:
    user_id: str
    event_type: str
    data_json: str


def utc_timestamp() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def encode(data) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"))


def envelope_text(
    *, event_type: str, event_id: str | None, ts: str, data_json: str, stream: str | None = None
) -> str:
    head = {"type": event_type, "id": event_id, "ts": ts}
    if stream is not None:
        head["stream"] = stream
    return encode(head)[:-1] + ',"data":' + data_json + "}"


def event_message(
    *,
    event_id: str | None,
    text: str,
    actor: str | None = None,
    skip_actor: bool = False,
    event_type: str | None = None,
    prev: str | None = None,
) -> dict:
    """The channel-layer message a gateway socket turns into a frame. `actor` (who
    caused a stream event) never reaches the client: sockets use it to skip events
    of users hidden from them (realtime.registry.register_hidden_actors) and,
    with `skip_actor`, the actor's own sockets (typing). `event_type` is for the
    sockets' frame metrics (core.metrics), so they need not parse `text`. `prev`
    (a logged event's predecessor in its user's log) lets a socket see that it
    missed one live and fetch it from the log first."""
    message = {
        "type": EVENT_MESSAGE,
        "id": event_id,
        "text": text,
        "actor": actor,
        "event_type": event_type,
    }
    if skip_actor:
        message["skip_actor"] = True
    if prev is not None:
        message["prev"] = prev
    return message


def publish_to_users(
    user_ids: Iterable, event_type: str, data: Mapping, *, persist: bool = True
) -> None:
    recipients = list(dict.fromkeys(_user_key(uid) for uid in user_ids))
    data_json = _checked_payload(event_type, data)
    if recipients:
        events = [_Addressed(uid, event_type, data_json) for uid in recipients]
        after_commit(_deliver_to_users, events, persist)


def publish_batch(events: Iterable[tuple], *, persist: bool = True) -> None:
    """``events``: ``(user_id, event_type, data)`` each; see the module docstring."""
    addressed = [
        _Addressed(_user_key(user_id), event_type, _checked_payload(event_type, data))
        for user_id, event_type, data in events
    ]
    if addressed:
        after_commit(_deliver_to_users, addressed, persist)


def publish_to_stream(
    stream: str, event_type: str, data: Mapping, *, actor_id=None, skip_actor: bool = False
) -> None:
    """`skip_actor`: not to the sockets of `actor_id` themselves (their own typing)."""
    group = stream_group(stream)
    data_json = _checked_payload(event_type, data)
    actor = _user_key(actor_id) if actor_id is not None else None
    after_commit(
        _deliver_to_stream, stream, group, event_type, data_json, actor, skip_actor and bool(actor)
    )


def disconnect_user(user_id, code: int = CLOSE_DISCONNECTED, *, sessions=None) -> None:
    code = int(code)
    if not sendable(code):  # daphne would refuse it and leave the sockets open
        raise ValueError(f"{code} is not a close code a server can send.")
    message = {"type": DISCONNECT_MESSAGE, "code": code}
    if sessions is not None:
        message["sessions"] = sorted({str(key) for key in sessions})
    group = user_group(_user_key(user_id))
    after_commit(_group_send_all, [(group, message)])


def recheck_stream(stream: str, *, reason: str = STREAM_NOT_VISIBLE) -> None:
    """The stream's visibility changed: its subscribers are checked again."""
    _revoke_on_stream(stream, recheck=True, reason=reason)


def end_stream(stream: str, *, reason: str = STREAM_DELETED) -> None:
    """The stream is gone for everyone (its object was deleted)."""
    _revoke_on_stream(stream, recheck=False, reason=reason)


def recheck_user_streams(
    user_ids: Iterable, *, kinds=None, streams=None, reason: str = STREAM_NOT_VISIBLE
) -> None:
    """What these users may see changed: their sockets check their subscriptions
    again (only those of ``kinds`` or among ``streams`` when given) and refresh
    the users they hide (blocks)."""
    _revoke_for_users(user_ids, recheck=True, kinds=kinds, streams=streams, reason=reason)


def end_user_streams(user_ids: Iterable, *, reason: str, kinds=None, streams=None) -> None:
    """These users' subscriptions end without a check (all, or those of ``kinds`` /
    among ``streams``)."""
    _revoke_for_users(user_ids, recheck=False, kinds=kinds, streams=streams, reason=reason)


def _revoke_message(*, recheck: bool, reason: str, kinds=None, streams=None, hidden=False) -> dict:
    return {
        "type": REVOKE_MESSAGE,
        "recheck": recheck,
        "reason": reason,
        "kinds": None if kinds is None else sorted(set(kinds)),
        "streams": None if streams is None else sorted(set(streams)),
        "refresh_hidden": hidden,
    }


def _revoke_on_stream(stream: str, *, recheck: bool, reason: str) -> None:
    message = _revoke_message(recheck=recheck, reason=reason, streams=[stream])
    after_commit(_group_send_all, [(stream_group(stream), message)])


def _revoke_for_users(user_ids, *, recheck: bool, kinds, streams, reason: str) -> None:
    for stream in streams or ():
        stream_group(stream)  # a bad name fails in the caller
    message = _revoke_message(
        recheck=recheck, reason=reason, kinds=kinds, streams=streams, hidden=recheck
    )
    groups = [user_group(uid) for uid in dict.fromkeys(_user_key(uid) for uid in user_ids)]
    if groups:
        after_commit(_group_send_all, [(group, message) for group in groups])


def _user_key(user_or_id) -> str:
    # A User passed by mistake must not become str(user), which is the public handle.
    return str(getattr(user_or_id, "pk", user_or_id))


def _checked_payload(event_type: str, data: Mapping) -> str:
    # Checked where the event is built, so a bad name or payload fails in the caller.
    if not _EVENT_TYPE_RE.match(event_type):
        raise ValueError(f"Invalid realtime event type: {event_type!r}")
    if not isinstance(data, Mapping):
        raise TypeError("Realtime event data must be a mapping.")
    return encode(data)


def _deliver_to_users(events: list[_Addressed], persist: bool) -> None:
    # One event loop for every chunk: the channel layer keeps its connections per loop.
    async_to_sync(_deliver_in_chunks)(get_channel_layer(), events, persist)


async def _deliver_in_chunks(layer, events: list[_Addressed], persist: bool) -> None:
    size = max(1, realtime_settings()["PUBLISH_CHUNK_SIZE"])
    not_logged: list[str] = []
    not_sent: list[str] = []
    first_error = None
    for start in range(0, len(events), size):
        chunk = events[start : start + size]
        users = [event.user_id for event in chunk]
        ts = utc_timestamp()
        try:
            if persist:
                logged = await sync_to_async(_log, thread_sensitive=False)(chunk, ts)
            else:
                logged = [None] * len(chunk)
        except Exception as exc:
            if degraded.is_outage(exc):
                degraded.report(REALTIME_STORE_PART, exc, doing="logging realtime events")
                if persist:
                    _gaps.add(users)
                    await _tell_resync(layer, users)
                continue
            logger.exception("Realtime events for %s users could not be logged", len(chunk))
            not_logged += users
            first_error = first_error or exc
            continue
        if layer is None:
            continue
        messages = [
            (
                user_group(event.user_id),
                event_message(
                    event_id=entry and entry.id,
                    prev=entry and entry.prev,
                    event_type=event.event_type,
                    text=envelope_text(
                        event_type=event.event_type,
                        event_id=entry and entry.id,
                        ts=ts,
                        data_json=event.data_json,
                    ),
                ),
            )
            for event, entry in zip(chunk, logged, strict=True)
        ]
        try:
            await group_send_many(layer, messages)
            for event_type, count in Counter(event.event_type for event in chunk).items():
                metrics.events_published(event_type, "user", count)
        except Exception as exc:
            if degraded.is_outage(exc):
                # Logged ones reach their users on resume; unlogged (typing) ones are gone.
                degraded.report(CHANNEL_LAYER_PART, exc, doing="sending realtime events")
                continue
            logger.exception("Realtime events for %s users may not have been sent", len(chunk))
            (not_sent if persist else not_logged).extend(users)
            first_error = first_error or exc
    if first_error is not None:
        raise PublishError(
            not_logged=not_logged, not_sent=not_sent, total=len(events)
        ) from first_error


async def _tell_resync(layer, users: list[str]) -> None:
    """Events for these users were dropped unlogged: their open sockets in this
    process (one that connected once Redis was back, while this process still
    backed off) are told ``resync.required`` now instead of carrying on without
    them. Locally, with no Redis round trip: the layer may be backing off too."""
    if layer is None:
        return
    messages = [(user_group(user), {"type": RESYNC_MESSAGE}) for user in dict.fromkeys(users)]
    await tell_local(layer, messages)


def _log(chunk: list[_Addressed], ts: str) -> list[eventlog.Appended]:
    if not degraded.available(REALTIME_STORE_PART):
        raise degraded.Unavailable(REALTIME_STORE_PART)
    _gaps.close()
    logged = eventlog.append_chained(
        [eventlog.NewEvent(e.user_id, e.event_type, ts, e.data_json) for e in chunk]
    )
    degraded.recovered(REALTIME_STORE_PART)
    return logged


class _Gaps:
    """Users whose events an outage dropped unlogged (this process's), up to
    ``MAX_USERS``. Once Redis answers, their event logs are deleted before
    anything else is logged: their next resume asks for a resync instead of
    replaying a log with a hole in it. Beyond ``MAX_USERS`` the logs of everyone
    cannot be named, and the warning says so."""

    MAX_USERS = 100_000

    def __init__(self):
        self._users: set[str] = set()
        self._overflowed = False
        self._lock = threading.Lock()

    def add(self, users: list[str]) -> None:
        with self._lock:
            room = self.MAX_USERS - len(self._users)
            self._users.update(users[: max(room, 0)])
            if len(users) > room and not self._overflowed:
                self._overflowed = True
                logger.warning(
                    "More than %s users missed realtime events during a Redis outage; "
                    "the rest resume without being told to resync",
                    self.MAX_USERS,
                )

    def close(self) -> None:
        """Delete the logs of the users named (raises while Redis is out, keeping them)."""
        if not self._users:
            return
        with self._lock:
            users, self._users, self._overflowed = list(self._users), set(), False
        try:
            eventlog.forget(users)
        except BaseException:
            with self._lock:
                self._users.update(users)
            raise
        logger.info("Event logs of %s users dropped after an outage: they resync", len(users))

    def clear(self) -> None:
        with self._lock:
            self._users.clear()
            self._overflowed = False

    def __contains__(self, user_id) -> bool:
        return str(user_id) in self._users


_gaps = _Gaps()


def _deliver_to_stream(
    stream: str,
    group: str,
    event_type: str,
    data_json: str,
    actor: str | None = None,
    skip_actor: bool = False,
):
    text = envelope_text(
        event_type=event_type, event_id=None, ts=utc_timestamp(), data_json=data_json, stream=stream
    )
    message = event_message(
        event_id=None, text=text, actor=actor, skip_actor=skip_actor, event_type=event_type
    )
    _group_send_all([(group, message)])
    metrics.events_published(event_type, "stream")


def _group_send_all(messages: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(group_send_many)(layer, messages)
    except Exception as exc:
        if not degraded.is_outage(exc):
            raise
        # Stream events are never replayed: subscribers refetch when they resubscribe.
        degraded.report(CHANNEL_LAYER_PART, exc, doing="sending realtime events")
