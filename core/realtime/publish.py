"""Send events to sockets from sync service code, after the transaction commits.

Every function here schedules its work with ``transaction.on_commit``: inside an
atomic block nothing leaves before the commit and nothing at all after a
rollback; outside one it runs at once. Call them from sync code (services,
tasks, sync handlers), never from a coroutine.

- ``publish_to_users(user_ids, event_type, data)``: appended to each user's
  event log (which gives it its id, used for ``?since=`` resume), then sent to
  every socket of each user. ``persist=False`` skips the log for ephemeral events
  (typing): they carry ``"id": null`` and are never replayed.
- ``publish_to_stream(stream, event_type, data)``: to the sockets subscribed to a
  public stream (``"forum"``, ``"post:<id>"``). Not logged: ``"id": null`` and a
  ``"stream"`` field. Everything in ``data`` reaches every subscriber.
- ``disconnect_user(user_id, code=4003)``: closes every open socket of the user.
"""

import json
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

from core.transactions import after_commit

from . import eventlog
from .codes import CLOSE_DISCONNECTED
from .groups import stream_group, user_group

logger = logging.getLogger(__name__)

EVENT_MESSAGE = "realtime.event"
DISCONNECT_MESSAGE = "realtime.disconnect"
_EVENT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


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


def event_message(*, event_id: str | None, text: str, actor: str | None = None) -> dict:
    """The channel-layer message a gateway socket turns into a frame. `actor` (who
    caused a stream event) never reaches the client: sockets use it to skip events
    of users hidden from them (core.realtime.registry.register_hidden_actors)."""
    return {"type": EVENT_MESSAGE, "id": event_id, "text": text, "actor": actor}


def publish_to_users(
    user_ids: Iterable, event_type: str, data: Mapping, *, persist: bool = True
) -> None:
    recipients = list(dict.fromkeys(_user_key(uid) for uid in user_ids))
    data_json = _checked_payload(event_type, data)
    if recipients:
        after_commit(_deliver_to_users, recipients, event_type, data_json, persist)


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


def _deliver_to_users(user_ids: list[str], event_type: str, data_json: str, persist: bool):
    ts = utc_timestamp()
    if persist:
        event_ids = eventlog.append(user_ids, event_type=event_type, ts=ts, data_json=data_json)
    else:
        event_ids = [None] * len(user_ids)
    messages = [
        (
            user_group(uid),
            event_message(
                event_id=event_id,
                text=envelope_text(
                    event_type=event_type, event_id=event_id, ts=ts, data_json=data_json
                ),
            ),
        )
        for uid, event_id in zip(user_ids, event_ids, strict=True)
    ]
    _group_send_all(messages)


def _deliver_to_stream(
    stream: str, group: str, event_type: str, data_json: str, actor: str | None = None
):
    text = envelope_text(
        event_type=event_type, event_id=None, ts=utc_timestamp(), data_json=data_json, stream=stream
    )
    _group_send_all([(group, event_message(event_id=None, text=text, actor=actor))])


def _group_send_all(messages: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all():
        for group, message in messages:
            await layer.group_send(group, message)

    async_to_sync(send_all)()
