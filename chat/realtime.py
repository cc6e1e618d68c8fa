"""Chat over the one socket: the frames chat accepts, and its stream.

Registered into the gateway from `ChatConfig.ready()` (`register()`); the gateway
imports nothing from chat. Handlers call `chat.services` as the REST views do,
so a refusal is the same `DomainError` with the same code and field REST answers.

In:
- `chat.message.sent` `{"conversation_id", "body", "client_ref"?, "media_ids"?}`:
  `ack` with the stored message (as REST's 201 shows it); the same `client_ref`
  again acks the same message, stored once.
- `chat.message.read` `{"conversation_id", "up_to"}` or `{"conversation_id",
  "message_ids": [...]}` (the newest of them is the marker): `ack`
  `{"last_read_message_id", "unread_count"}`; the marker only moves forward.
- `chat.typing` `{"conversation_id"}`: never stored. At most one per user and
  conversation every `CHAT_TYPING_INTERVAL_SECONDS` goes out (across devices and
  servers, a Redis key); the others are acked `{"sent": false}`.

Out (besides `chat.events`, which go to every participant's event log):
- `chat.typing` `{"conversation_id", "user_id"}` on the stream
  `conversation:<id>`, which a participant's socket subscribes to while the
  conversation is open; never to the typist's own sockets, nor to users they
  and the receiver blocked either way. Live only.
- A participant who leaves or is removed loses `conversation:<id>` at once
  (`stream.ended`, reason `removed`): `conversation_left`.
"""

import time
import uuid
from collections.abc import Iterable

from django.conf import settings

from core import error_codes as core_codes
from core.exceptions import NotFound, invalid
from realtime.backend import KEY_PREFIX, redis_client, use_redis
from realtime.catalogue import UUID, declare_client_frame, declare_event, derived, obj
from realtime.publish import end_user_streams, publish_to_stream
from realtime.registry import RealtimeContext, register_handler, register_stream

STREAM_KIND = "conversation"
REMOVED = "removed"

_CONVERSATION = {"conversation_id": UUID}
MESSAGE_SENT = declare_client_frame(
    "chat.message.sent",
    summary="Send a message; acked with the stored message as REST's 201 shows it.",
    data=derived("MessageSendRequest", properties=_CONVERSATION, required=["conversation_id"]),
)
MESSAGE_READ = declare_client_frame(
    "chat.message.read",
    summary="Move your read marker; acked `{last_read_message_id, unread_count}` (`ReadState`).",
    data=derived("MarkReadRequest", properties=_CONVERSATION, required=["conversation_id"]),
)
TYPING = declare_client_frame(
    "chat.typing",
    summary="You are typing; acked `{sent}` (false when rate limited).",
    data=obj(_CONVERSATION, additional=True),
)
declare_event(
    TYPING,
    summary="Someone is typing (live only).",
    payload=obj({"conversation_id": UUID, "user_id": UUID}),
    delivered_to="the conversation's stream (`conversation:<id>`), not the typist's own sockets",
)


def conversation_stream(conversation_id) -> str:
    return f"{STREAM_KIND}:{conversation_id}"


def register() -> None:
    register_handler(MESSAGE_SENT, message_sent)
    register_handler(MESSAGE_READ, message_read)
    register_handler(TYPING, typing)
    register_stream(STREAM_KIND, may_follow, many=followed_among)


# --- the conversation stream ---------------------------------------------------------


def may_follow(user, conversation_id) -> bool:
    return bool(followed_among(user, [conversation_id]))


def followed_among(user, conversation_ids: Iterable) -> set[str]:
    """Which of `conversation_ids` `user` takes part in now: one query."""
    from .models import ConversationParticipant

    wanted = _uuids(conversation_ids)
    if not wanted:
        return set()
    rows = ConversationParticipant.objects.filter(
        user_id=user.pk, left_at__isnull=True, conversation_id__in=wanted
    ).values_list("conversation_id", flat=True)
    return {str(pk) for pk in rows}


def conversation_left(*, conversation_id, user_id) -> None:
    """`user_id` left or was removed: their sockets lose the conversation's stream
    (after commit, with the change)."""
    end_user_streams([user_id], streams=[conversation_stream(conversation_id)], reason=REMOVED)


# --- handlers -----------------------------------------------------------------------


def _reloaded(user):
    # The socket's user was loaded at connect: a suspension since must count.
    from users.models import User

    return User.objects.get(pk=user.pk)


def message_sent(context: RealtimeContext, data: dict) -> dict:
    from . import events, services
    from .serializers import MessageSendSerializer

    conversation_id = _conversation_id(data)
    payload = _valid(MessageSendSerializer, data)
    sent = services.send_message(
        sender=_reloaded(context.user), conversation_id=conversation_id, **payload
    )
    message = events.message_payload(sent.message.pk)
    if message is None:  # hidden by a moderator meanwhile
        raise NotFound(core_codes.NOT_FOUND, "No such message.")
    return message


def message_read(context: RealtimeContext, data: dict) -> dict:
    from . import services
    from .serializers import MarkReadSerializer, ReadStateSerializer

    conversation_id = _conversation_id(data)
    state = services.mark_read(
        user=context.user, conversation_id=conversation_id, **_valid(MarkReadSerializer, data)
    )
    return ReadStateSerializer(state).data


def typing(context: RealtimeContext, data: dict) -> dict:
    from .selectors import fetch_participation

    participation = fetch_participation(viewer=context.user, conversation_id=_conversation_id(data))
    conversation_id = participation.conversation_id
    if not _typing_slot(conversation_id, context.user.pk):
        return {"sent": False}
    publish_to_stream(
        conversation_stream(conversation_id),
        TYPING,
        {"conversation_id": str(conversation_id), "user_id": str(context.user.pk)},
        actor_id=context.user.pk,
        skip_actor=True,
    )
    return {"sent": True}


_typing_memory: dict[str, float] = {}


def _typing_slot(conversation_id, user_id) -> bool:
    """True at most once per `CHAT_TYPING_INTERVAL_SECONDS` for the user and the
    conversation, whichever socket or server asks."""
    interval_ms = int(float(settings.CHAT_TYPING_INTERVAL_SECONDS) * 1000)
    if interval_ms <= 0:
        return True
    key = f"{KEY_PREFIX}:chat:typing:{conversation_id}:{user_id}"
    if use_redis():
        return bool(redis_client().set(key, "1", nx=True, px=interval_ms))
    now = time.monotonic()
    if _typing_memory.get(key, 0) > now:
        return False
    _typing_memory[key] = now + interval_ms / 1000
    return True


# --- input --------------------------------------------------------------------------


def _uuids(values: Iterable) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out


def _conversation_id(data: dict) -> str:
    value = data.get("conversation_id")
    if value is None or value == "":
        raise invalid("conversation_id", "This field is required.", core_codes.REQUIRED)
    if not isinstance(value, str):
        # As REST answers a malformed id in the URL: no such conversation.
        raise NotFound(core_codes.NOT_FOUND, "No such conversation.")
    return value


def _valid(serializer_class, data: dict) -> dict:
    """The frame's data through REST's own input serializer: the same refusals,
    codes and fields (a DRF `ValidationError`, mapped by the gateway)."""
    serializer = serializer_class(data={k: v for k, v in data.items() if k != "conversation_id"})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
