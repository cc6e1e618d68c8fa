"""Notification tasks: thin, idempotent, taking ids and plain JSON."""

import time

from celery import shared_task
from django.conf import settings

from .push import TransientPushError, retry_countdown
from .services import broadcast, delivery, devices, email


@shared_task(acks_late=True)
def deliver_notification(**job) -> str | None:
    notification = delivery.deliver(**job)
    return str(notification.pk) if notification else None


@shared_task(bind=True, acks_late=True, max_retries=settings.NOTIFICATIONS["PUSH_MAX_RETRIES"])
def send_push(self, device_id: str, message: dict) -> bool:
    try:
        return devices.push_to_device(device_id=device_id, message=message)
    except TransientPushError as exc:
        # Not autoretry_for: its backoff cannot honour the provider's Retry-After.
        countdown = retry_countdown(exc, retries=self.request.retries)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(user_id: str, title: str, body: str) -> bool:
    return email.email_notification(user_id=user_id, title=title, body=body)


@shared_task(acks_late=True)
def send_broadcast(broadcast_id: str) -> None:
    """Batches until the time budget is spent, then a fresh task takes over.

    Each batch is its own short transaction, so no transaction stays open while
    a broadcast to many users runs, and a crash resumes from the last batch.
    """
    deadline = time.monotonic() + settings.NOTIFICATIONS["BROADCAST_TASK_SECONDS"]
    while broadcast.send_broadcast_batch(broadcast_id=broadcast_id):
        if time.monotonic() > deadline:
            send_broadcast.delay(broadcast_id)
            return


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_digest(user_id: str) -> bool:
    return email.send_digest(user_id=user_id)


@shared_task
def prune_notification_dedupe() -> int:
    """Delete dedupe rows past their retention (beat, hourly)."""
    return delivery.prune_dedupe()


@shared_task
def send_daily_digests() -> int:
    """Queue one digest task per user who asked for it (beat, daily)."""
    from .models import NotificationPreferences

    user_ids = NotificationPreferences.objects.filter(
        email_digest=True, user__is_active=True
    ).values_list("user_id", flat=True)
    queued = 0
    for user_id in user_ids.iterator(chunk_size=1000):
        send_digest.delay(str(user_id))
        queued += 1
    return queued
