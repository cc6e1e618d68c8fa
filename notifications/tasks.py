"""Notification tasks: thin, idempotent, taking ids and plain JSON.

The tasks the services enqueue (`deliver_notification`, `send_push`,
`send_notification_email`, `send_broadcast`) are defined beside the function
each runs, in `services.delivery`, `devices`, `email` and `broadcast`, under
their names here: a task module the services imported would import them back
(`services` exports `notify`, which enqueues the delivery). They are imported
here so the worker finds every task in this module. The rest are beat's.
"""

from celery import shared_task

from .models import NotificationPreferences
from .services import delivery, email
from .services.broadcast import send_broadcast
from .services.delivery import deliver_notification
from .services.devices import send_push
from .services.email import send_notification_email

__all__ = [
    "deliver_notification",
    "prune_notification_dedupe",
    "send_broadcast",
    "send_daily_digests",
    "send_digest",
    "send_notification_email",
    "send_push",
]


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
    user_ids = NotificationPreferences.objects.filter(
        email_digest=True, user__is_active=True
    ).values_list("user_id", flat=True)
    queued = 0
    for user_id in user_ids.iterator(chunk_size=1000):
        send_digest.delay(str(user_id))
        queued += 1
    return queued
