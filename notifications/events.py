"""Realtime events of notifications: names and payloads in one place.

All go to every socket of the one user concerned, after commit.

- ``notification.new``: ``{"notification": <as in the list>, "unread_count": n}``.
  A like folding into an existing row sends it again with the same id: clients
  replace the row they have. So does a block taking one actor out of a folded
  row (fewer actors, maybe another latest actor; same read state and time).
- ``notification.read``: ``{"ids": [...], "all": false, "unread_count": n}``; after
  "read all", ``{"ids": [], "all": true, "unread_count": n}``.
- ``notification.deleted``: ``{"id": ..., "unread_count": n}``. Also sent, one per
  row, when notifications are withdrawn (their content hidden or deleted, a block
  between recipient and the row's only actor); every one carries the count after
  the withdrawal.
"""

from realtime.catalogue import BOOLEAN, INTEGER, UUID, UUIDS, declare_event, obj, ref
from realtime.publish import publish_batch, publish_to_users

from .models import Notification
from .serializers import NotificationSerializer

_UNREAD = {**INTEGER, "description": "The user's unread notifications after this change."}
_TO = "the recipient (every device; logged for resume)"
NOTIFICATION_NEW = declare_event(
    "notification.new",
    summary="A notification (or a folded one again, same id): replace the row you have.",
    payload=obj({"notification": ref("Notification"), "unread_count": _UNREAD}),
    delivered_to=_TO,
)
NOTIFICATION_READ = declare_event(
    "notification.read",
    summary="Notifications marked read (`all`: every one).",
    payload=obj({"ids": UUIDS, "all": BOOLEAN, "unread_count": _UNREAD}),
    delivered_to=_TO,
)
NOTIFICATION_DELETED = declare_event(
    "notification.deleted",
    summary="A notification deleted or withdrawn.",
    payload=obj({"id": UUID, "unread_count": _UNREAD}),
    delivered_to=_TO,
)


def new_payload(notification: Notification, *, unread_count: int) -> dict:
    return {
        "notification": NotificationSerializer(notification).data,
        "unread_count": unread_count,
    }


def notification_new(notification: Notification, *, unread_count: int) -> None:
    publish_to_users(
        [notification.recipient_id],
        NOTIFICATION_NEW,
        new_payload(notification, unread_count=unread_count),
    )


def notification_new_to_many(notifications: list[Notification], *, unread_counts: dict) -> None:
    """`notification.new` for rows that differ only by id and recipient (a broadcast):
    serialised once, published as one batch. `unread_counts`: {str(recipient id): n}."""
    if not notifications:
        return
    shared = dict(NotificationSerializer(notifications[0]).data)
    publish_batch(
        (
            notification.recipient_id,
            NOTIFICATION_NEW,
            {
                "notification": {**shared, "id": str(notification.pk)},
                "unread_count": unread_counts.get(str(notification.recipient_id), 1),
            },
        )
        for notification in notifications
    )


def notification_read(*, user_id, ids: list, unread_count: int, all_read: bool = False) -> None:
    publish_to_users(
        [user_id],
        NOTIFICATION_READ,
        {"ids": [str(pk) for pk in ids], "all": all_read, "unread_count": unread_count},
    )


def notification_deleted(*, user_id, notification_id, unread_count: int) -> None:
    publish_to_users(
        [user_id],
        NOTIFICATION_DELETED,
        {"id": str(notification_id), "unread_count": unread_count},
    )
