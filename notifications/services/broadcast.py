"""Broadcasts: a system notification to every user, in batches run by a task."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from asgiref.sync import async_to_sync, sync_to_async
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.transactions import after_commit
from core.types import Id
from realtime import presence
from users.models import User

from .. import events, selectors
from ..conf import conf
from ..kinds import SPECS
from ..models import Broadcast, Kind, Notification
from .delivery import queue_task
from .devices import send_push
from .email import send_notification_email

T = TypeVar("T")


BROADCAST_NAMESPACE = uuid.UUID("5d8f3f0e-2c1b-4f5e-9a53-6b0c1f7e2a10")


def create_broadcast(
    *, sender: User, title: str, body: str, recipient_ids: list[Id] | None = None
) -> Broadcast:
    """Queue a system notification to every user, or to `recipient_ids` only when
    given; the batches run in a task."""
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            created_by=sender, title=title, body=body, targeted=recipient_ids is not None
        )
        if recipient_ids is not None:
            broadcast.recipients.add(*recipient_ids)
        after_commit(send_broadcast.delay, str(broadcast.pk))
    return broadcast


# Beside the function it runs, as `devices.send_push` (see there).
@shared_task(name="notifications.tasks.send_broadcast", acks_late=True)
def send_broadcast(broadcast_id: str) -> None:
    """Batches until the time budget is spent, then a fresh task takes over.

    Each batch is its own short transaction, so no transaction stays open while
    a broadcast to many users runs, and a crash resumes from the last batch.
    """
    deadline = time.monotonic() + settings.NOTIFICATIONS["BROADCAST_TASK_SECONDS"]
    while send_broadcast_batch(broadcast_id=broadcast_id):
        if time.monotonic() > deadline:
            send_broadcast.delay(broadcast_id)
            return


def send_broadcast_batch(*, broadcast_id: Id) -> bool:
    """Notify the next batch of users in one short transaction; True if more remain.

    Users are walked in id order from the broadcast's cursor; notification ids are
    derived from (broadcast, user), so a batch that runs twice creates nothing twice.
    """
    return _on_one_event_loop(_send_broadcast_batch, broadcast_id)


def _on_one_event_loop(func: Callable[..., T], /, *args: object) -> T:
    """Run sync `func` under one outer event loop.

    Each publish does `async_to_sync`; from plain sync code that makes a new loop
    (and a new channel-layer connection) per recipient. Under an outer loop they
    all reuse it: about three times faster for a batch of a thousand.
    """

    async def outer():
        return await sync_to_async(func, thread_sensitive=True)(*args)

    return async_to_sync(outer)()


def _send_broadcast_batch(broadcast_id: Id) -> bool:
    size = conf("BROADCAST_BATCH_SIZE")
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
        if broadcast.status == Broadcast.Status.DONE:
            return False
        users = User.objects.filter(is_active=True, date_joined__lte=broadcast.created_at)
        if broadcast.targeted:
            users = users.filter(
                pk__in=Broadcast.recipients.through.objects.filter(
                    broadcast_id=broadcast.pk
                ).values("user_id")
            )
        if broadcast.cursor is not None:
            users = users.filter(pk__gt=broadcast.cursor)
        user_ids = [str(pk) for pk in users.order_by("pk").values_list("pk", flat=True)[:size]]
        prefs = selectors.preferences_for_users(user_ids=user_ids)
        channels = {uid: prefs[uid].channels(Kind.SYSTEM) for uid in user_ids}
        data = {"title": broadcast.title, "body": broadcast.body}
        now = timezone.now()
        rows = [
            Notification(
                id=uuid.uuid5(BROADCAST_NAMESPACE, f"{broadcast.pk}:{uid}"),
                recipient_id=uid,
                kind=Kind.SYSTEM,
                target_type="notifications.broadcast",
                target_id=str(broadcast.pk),
                data=data,
                created_at=now,
            )
            for uid in user_ids
            if channels[uid].in_app
        ]
        # Rows already made (a batch replayed from an older cursor) are not told again.
        done = set(
            Notification.objects.filter(pk__in=[row.pk for row in rows]).values_list(
                "pk", flat=True
            )
        )
        rows = [row for row in rows if row.pk not in done]
        told = {str(row.recipient_id) for row in rows} | {
            uid for uid in user_ids if not channels[uid].in_app
        }
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        counts = selectors.unread_counts(user_ids=[row.recipient_id for row in rows])
        events.notification_new_to_many(rows, unread_counts=counts)
        message = {
            "title": broadcast.title,
            "body": broadcast.body,
            "data": {
                "kind": Kind.SYSTEM.value,
                "target_type": "notifications.broadcast",
                "target_id": str(broadcast.pk),
            },
        }
        after_commit(
            _fan_out_broadcast,
            push_to=[uid for uid in user_ids if uid in told and channels[uid].push],
            email_to=[uid for uid in user_ids if uid in told and channels[uid].email],
            message=message,
        )
        more = len(user_ids) == size
        broadcast.recipient_count += len(rows)
        broadcast.status = Broadcast.Status.SENDING if more else Broadcast.Status.DONE
        if user_ids:
            broadcast.cursor = user_ids[-1]
        if not more:
            broadcast.finished_at = timezone.now()
        broadcast.save(update_fields=["recipient_count", "status", "cursor", "finished_at"])
    return more


def _fan_out_broadcast(*, push_to: list[str], email_to: list[str], message: dict) -> None:
    if not SPECS[Kind.SYSTEM].push_when_online:
        online = presence.online_users(push_to)
        push_to = [uid for uid in push_to if uid not in online]
    for device_id in selectors.active_device_ids(user_ids=push_to):
        queue_task(task=send_push, args=(device_id, message))
    for user_id in email_to:
        queue_task(task=send_notification_email, args=(user_id, message["title"], message["body"]))
