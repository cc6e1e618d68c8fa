"""Realtime events chat emits: names and payloads in one place.

Every chat event is addressed to users (`core.realtime.publish.publish_to_users`):
each goes into each recipient's event log, so a client resuming with `?since=`
gets every one it missed, in order, once. Recipients are the conversation's
current participants when the change is made (a removed member is told of the
removal, then nothing more); every device of each, the actor's other devices
included. All go out after the transaction commits.

- `chat.message.new`, `chat.message.updated`, `chat.message.deleted`: the message
  as REST shows it (`read_models.MESSAGE`); a deleted or hidden message is the
  placeholder (no body, no media, `is_deleted: true`). Not to a member added
  back who was away when the message was sent.
- `chat.message.read`: `{"conversation_id", "user_id", "up_to"}`: `user_id` read
  up to the message `up_to` (to the others and to that user's other devices).
- `chat.conversation.updated`: the conversation as REST shows it, without the
  per-viewer `unread_count` and `muted`, its `last_message` the newest one every
  current participant may see: on creation, membership, title and
  avatar changes. A user no longer among `participants` was removed or left.
"""

from core.realtime.publish import publish_to_users

from . import selectors
from .read_models import CONVERSATION, MESSAGE

MESSAGE_NEW = "chat.message.new"
MESSAGE_UPDATED = "chat.message.updated"
MESSAGE_DELETED = "chat.message.deleted"
MESSAGE_READ = "chat.message.read"
CONVERSATION_UPDATED = "chat.conversation.updated"


def message_payload(message_id) -> dict | None:
    row = selectors.fetch_message(message_id=message_id)
    return None if row is None else MESSAGE.renderer().one(row)


def _message_event(event_type: str, message) -> None:
    data = message_payload(message.pk)
    if data is not None:
        publish_to_users(selectors.ids_seeing(message), event_type, data)


def message_new(message) -> None:
    _message_event(MESSAGE_NEW, message)


def message_updated(message) -> None:
    _message_event(MESSAGE_UPDATED, message)


def message_deleted(message) -> None:
    _message_event(MESSAGE_DELETED, message)


def message_read(*, conversation_id, user_id, up_to) -> None:
    publish_to_users(
        selectors.participant_ids(conversation_id),
        MESSAGE_READ,
        {"conversation_id": str(conversation_id), "user_id": str(user_id), "up_to": str(up_to)},
    )


def conversation_payload(conversation_id) -> dict | None:
    row = selectors.conversation_shared_row(conversation_id=conversation_id)
    return None if row is None else CONVERSATION.renderer().shared(row).data


def conversation_updated(conversation_id, *, also_to=()) -> None:
    """To the current participants and to `also_to` (who was just removed or left)."""
    data = conversation_payload(conversation_id)
    if data is not None:
        recipients = [*selectors.participant_ids(conversation_id), *also_to]
        publish_to_users(recipients, CONVERSATION_UPDATED, data)
