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
- ``disconnect_user(user_id, code=4003)``: closes every open socket of the user.

Addressed events go out in chunks, each logged (one atomic call, all or nothing)
before it is sent, so a socket never gets a live event that resume would not
replay. A chunk whose log append fails is not sent at all; a chunk logged but not
sent reaches its users on their next resume. Either way the remaining chunks
still go, and then ``PublishError`` names the users concerned (after commit it
is logged, never raised into the caller).
"""

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

from core import metrics
from core.transactions import after_commit

from . import eventlog
from .backend import realtime_settings
from .codes import CLOSE_DISCONNECTED
from .groups import stream_group, user_group
from .layer import group_send_many

logger = logging.getLogger(__name__)

EVENT_MESSAGE = "realtime.event"
DISCONNECT_MESSAGE = "realtime.disconnect"
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
    *, event_id: str | None, text: str, actor: str | None = None, event_type: str | None = None
) -> dict:
    """The channel-layer message a gateway socket turns into a frame. `actor` (who
    caused a stream event) never reaches the client: sockets use it to skip events
    of users hidden from them (core.realtime.registry.register_hidden_actors)."""
    return {
        "type": EVENT_MESSAGE,
        "id": event_id,
        "text": text,
        "actor": actor,
        # For the sockets' frame metrics (core.metrics), so they need not parse `text`.
        "event_type": event_type,
    }


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


def publish_to_stream(stream: str, event_type: str, data: Mapping, *, actor_id=None) -> None:
    group = stream_group(stream)
    data_json = _checked_payload(event_type, data)
    actor = _user_key(actor_id) if actor_id is not None else None
    after_commit(_deliver_to_stream, stream, group, event_type, data_json, actor)


def disconnect_user(user_id, code: int = CLOSE_DISCONNECTED) -> None:
    message = {"type": DISCONNECT_MESSAGE, "code": int(code)}
    group = user_group(_user_key(user_id))
    after_commit(_group_send_all, [(group, message)])


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
                event_ids = await sync_to_async(_log, thread_sensitive=False)(chunk, ts)
            else:
                event_ids = [None] * len(chunk)
        except Exception as exc:
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
                    event_id=event_id,
                    event_type=event.event_type,
                    text=envelope_text(
                        event_type=event.event_type,
                        event_id=event_id,
                        ts=ts,
                        data_json=event.data_json,
                    ),
                ),
            )
            for event, event_id in zip(chunk, event_ids, strict=True)
        ]
        try:
            await group_send_many(layer, messages)
            for event_type, count in Counter(event.event_type for event in chunk).items():
                metrics.events_published(event_type, "user", count)
        except Exception as exc:
            logger.exception("Realtime events for %s users may not have been sent", len(chunk))
            (not_sent if persist else not_logged).extend(users)
            first_error = first_error or exc
    if first_error is not None:
        raise PublishError(
            not_logged=not_logged, not_sent=not_sent, total=len(events)
        ) from first_error


def _log(chunk: list[_Addressed], ts: str) -> list[str]:
    return eventlog.append_many(
        [eventlog.NewEvent(e.user_id, e.event_type, ts, e.data_json) for e in chunk]
    )


def _deliver_to_stream(
    stream: str, group: str, event_type: str, data_json: str, actor: str | None = None
):
    text = envelope_text(
        event_type=event_type, event_id=None, ts=utc_timestamp(), data_json=data_json, stream=stream
    )
    _group_send_all(
        [(group, event_message(event_id=None, text=text, actor=actor, event_type=event_type))]
    )
    metrics.events_published(event_type, "stream")


def _group_send_all(messages: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(group_send_many)(layer, messages)
