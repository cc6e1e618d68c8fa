"""Realtime events chat emits: names and payloads in one place.

Every chat event is addressed to users (`realtime.publish.publish_to_users`):
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
  up to the message `up_to` (to the others and to that user's other devices). A
  member added back who was away when `up_to` was sent is told the newest
  message they may see before it instead (or nothing), never an id from their
  gap.
- `chat.conversation.updated`: the conversation as REST's list shows it, without
  the per-viewer `unread_count` and `muted`, its `last_message` the newest one
  every current participant may see: on creation, membership, title and avatar
  changes. Its size does not grow with the group, so a change costs linear in
  members, not quadratic: `participants` are the first
  `CHAT_EVENT_PARTICIPANTS_MAX` (owner, admins, then by seniority),
  `participant_count` all of them, and `change` names what happened (as Zulip's
  `peer_add` / `peer_remove` and Slack's `member_joined_channel` do):
  `{"action", "actor_id", "added", "added_count", "removed", "removed_count",
  "fields"}`. `action` is `created`, `participants_added`, `participant_removed`,
  `participant_left` or `updated`; `added` / `removed` the user ids who joined
  or went with this change (at most `CHAT_EVENT_PARTICIPANTS_MAX` each; the
  counts have all of them: on creation everyone, the creator included, is
  added); `fields` what `updated` changed (`title`, `avatar_url`). A client
  whose `participants` are fewer than `participant_count`, or whose counts
  exceed the ids, reads `GET conversations/{id}/` for the whole list. A user
  among `removed` (no longer among `participants`) was removed or left.
"""

from collections.abc import Iterable

from realtime.catalogue import INTEGER, STRING, UUID, UUIDS, declare_event, derived, obj
from realtime.publish import publish_to_users

from . import selectors
from .read_models import CONVERSATION, MESSAGE

_TO = "the conversation's current participants (every device; logged for resume)"
MESSAGE_NEW = declare_event(
    "chat.message.new",
    summary="A message, as REST's message list shows it.",
    payload="Message",
    delivered_to=_TO + ", not a member added back who was away when it was sent",
)
MESSAGE_UPDATED = declare_event(
    "chat.message.updated",
    summary="A message edited, as REST's message list shows it.",
    payload="Message",
    delivered_to=_TO,
)
MESSAGE_DELETED = declare_event(
    "chat.message.deleted",
    summary="A message deleted or hidden: its placeholder (no body, no media).",
    payload="Message",
    delivered_to=_TO,
)
MESSAGE_READ = declare_event(
    "chat.message.read",
    summary="`user_id` read up to the message `up_to`.",
    payload=obj({"conversation_id": UUID, "user_id": UUID, "up_to": UUID}),
    delivered_to=_TO + " who may see `up_to`",
)
CONVERSATION_UPDATED = declare_event(
    "chat.conversation.updated",
    summary=(
        "A conversation created or changed: as REST's list shows it less the per-viewer "
        "`unread_count` and `muted`, plus `change`."
    ),
    payload=derived(
        "Conversation",
        omit=["unread_count", "muted"],
        properties={
            "change": obj(
                {
                    "action": {
                        "type": "string",
                        "enum": [
                            "created",
                            "participants_added",
                            "participant_removed",
                            "participant_left",
                            "updated",
                        ],
                    },
                    "actor_id": UUID,
                    "added": UUIDS,
                    "added_count": INTEGER,
                    "removed": UUIDS,
                    "removed_count": INTEGER,
                    "fields": {"type": "array", "items": STRING},
                }
            )
        },
        required=["change"],
    ),
    delivered_to=_TO + ", and whoever this change removed",
)

# `change.action` of `chat.conversation.updated`.
CREATED = "created"
PARTICIPANTS_ADDED = "participants_added"
PARTICIPANT_REMOVED = "participant_removed"
PARTICIPANT_LEFT = "participant_left"
UPDATED = "updated"


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


def message_read(*, conversation_id, user_id, message) -> None:
    """`user_id` read up to `message`: told to the current participants who may
    see it; one who was away when it was sent (a member added back) is told the
    newest message they may see before it instead, or nothing: an id from their
    gap never reaches them."""
    seeing, away = selectors.readers_of(message)

    def told(up_to) -> dict:
        return {
            "conversation_id": str(conversation_id),
            "user_id": str(user_id),
            "up_to": str(up_to),
        }

    publish_to_users(seeing, MESSAGE_READ, told(message.pk))
    for participation in away:
        shown = selectors.newest_visible_up_to(participation, message)
        if shown is not None:
            publish_to_users([participation.user_id], MESSAGE_READ, told(shown))


def conversation_payload(conversation_id) -> dict | None:
    row = selectors.conversation_shared_row(conversation_id=conversation_id)
    return None if row is None else CONVERSATION.renderer().shared(row).data


def conversation_change(
    action: str, *, actor_id, added: Iterable = (), removed: Iterable = (), fields: Iterable = ()
) -> dict:
    """`change` of `chat.conversation.updated`: what happened, its id lists bounded
    like `participants` (the counts are whole)."""
    limit = selectors.participants_max()
    added, removed = [str(u) for u in added], [str(u) for u in removed]
    return {
        "action": action,
        "actor_id": str(actor_id),
        "added": added[:limit],
        "added_count": len(added),
        "removed": removed[:limit],
        "removed_count": len(removed),
        "fields": list(fields),
    }


def conversation_updated(conversation_id, *, change: dict, also_to=()) -> None:
    """To the current participants and to `also_to` (who was just removed or left)."""
    data = conversation_payload(conversation_id)
    if data is not None:
        recipients = [*selectors.participant_ids(conversation_id), *also_to]
        publish_to_users(recipients, CONVERSATION_UPDATED, {**data, "change": change})
