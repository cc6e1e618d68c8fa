"""The recipient's own doings: mark read, mark all read, delete."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.types import Id
from users.models import User

from .. import events, selectors
from ..models import Notification


def mark_read(*, user: User, notification_id: Id) -> Notification:
    with transaction.atomic():
        notification = selectors.get_notification(user=user, notification_id=notification_id)
        if notification.read_at is None:
            now = timezone.now()
            updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
                read_at=now
            )
            notification.read_at = now
            if updated:
                events.notification_read(
                    user_id=user.pk,
                    ids=[notification.pk],
                    unread_count=selectors.unread_count(user_id=user.pk),
                )
    return notification


def mark_all_read(*, user: User) -> int:
    with transaction.atomic():
        marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if marked:
            events.notification_read(
                user_id=user.pk,
                ids=[],
                all_read=True,
                unread_count=selectors.unread_count(user_id=user.pk),
            )
    return marked


def delete_notification(*, user: User, notification_id: Id) -> None:
    with transaction.atomic():
        notification = selectors.get_notification(user=user, notification_id=notification_id)
        notification.delete()
        events.notification_deleted(
            user_id=user.pk,
            notification_id=notification_id,
            unread_count=selectors.unread_count(user_id=user.pk),
        )
