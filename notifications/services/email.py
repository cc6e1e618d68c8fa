"""Email: one notification by mail, and the daily digest of what is unread."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core.transactions import after_commit
from core.types import Id
from users.models import User

from .. import selectors
from ..conf import conf
from ..kinds import render
from ..models import NotificationPreferences


def email_notification(*, user_id: Id, title: str, body: str) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    link = f"{settings.FRONTEND_URL.rstrip('/')}/notifications"
    text = "\n\n".join(part for part in (title, body, f"See it in the app: {link}") if part)
    send_mail(title, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True


# Beside the function it runs, as `devices.send_push` (see there).
@shared_task(
    name="notifications.tasks.send_notification_email",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_notification_email(user_id: str, title: str, body: str) -> bool:
    return email_notification(user_id=user_id, title=title, body=body)


def send_digest(*, user_id: Id) -> bool:
    """Email the user what they have not read since their last digest (once a day)."""
    now = timezone.now()
    with transaction.atomic():
        prefs = (
            NotificationPreferences.objects.select_for_update(of=("self",))
            .select_related("user__profile")
            .filter(user_id=user_id, email_digest=True, user__is_active=True)
            .first()
        )
        if prefs is None:
            return False
        # A re-run of the same day's task sends nothing twice.
        if prefs.last_digest_at and prefs.last_digest_at > now - timedelta(hours=20):
            return False
        since = prefs.last_digest_at or now - timedelta(days=1)
        unread = selectors.notifications_for(user=prefs.user, unread=True).filter(
            created_at__gt=since
        )
        limit = conf("DIGEST_MAX_ITEMS")
        rows = list(unread[: limit + 1])
        prefs.last_digest_at = now
        prefs.save(update_fields=["last_digest_at", "updated_at"])
        if not rows:
            return False
        lines = [
            "- " + render(kind=n.kind, actor=n.actor, actor_count=n.actor_count, data=n.data)[0]
            for n in rows[:limit]
        ]
        if len(rows) > limit:
            lines.append("- and more")
        email = prefs.user.email
        link = f"{settings.FRONTEND_URL.rstrip('/')}/notifications"
        text = "What you missed:\n\n" + "\n".join(lines) + f"\n\nSee them all: {link}"
        after_commit(
            send_mail,
            f"Your daily digest: {len(rows[:limit])} new",
            text,
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
    return True
