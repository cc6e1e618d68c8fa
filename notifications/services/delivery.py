"""Delivery, in a task: store (or fold) a notification, dedupe, fan out to push and email."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import Task, shared_task
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.transactions import after_commit
from core.types import Id
from realtime import presence
from users.models import User
from users.services import hold_pair_for_notification

from .. import events, selectors
from ..conf import conf
from ..kinds import SPECS, Channels, render
from ..kinds import group_key as kind_group_key
from ..models import Notification, NotificationActor, NotificationDedupe
from ..targets import target_is_shown
from .devices import send_push
from .email import send_notification_email

logger = logging.getLogger(__name__)


def deliver(
    *,
    notification_id: str,
    recipient_id: str,
    kind: str,
    actor_id: str | None,
    target_type: str,
    target_id: str,
    data: dict,
    dedupe_key: str | None,
) -> Notification | None:
    """Store (or fold) the notification and fan it out on the recipient's channels."""
    people = {
        str(u.pk): u
        for u in User.objects.select_related("profile").filter(
            pk__in=[pk for pk in (recipient_id, actor_id) if pk]
        )
    }
    recipient, actor = people.get(recipient_id), people.get(actor_id) if actor_id else None
    if recipient is None or not recipient.is_active or (actor_id and actor is None):
        return None
    channels = selectors.preferences_for(user_id=recipient_id).channels(kind)
    if not channels.any:
        return None
    notification = None
    with transaction.atomic():
        # Its post or comment may have been hidden or deleted since the act; the
        # check holds it until this commits, so a hide cannot slip in between.
        # Not deduped: nothing was told.
        if not target_is_shown(target_type=target_type, target_id=target_id):
            return None
        # Nor across a block, checked here rather than in notify(): no query in
        # the request, and the block as it stands when the news is stored. The
        # check holds both users until this commits, so a block cannot slip in
        # between and miss the row when it withdraws. After the target: a hide
        # or delete locks its content before it touches a profile. Not deduped,
        # so the same news after an unblock is told.
        if actor_id and not hold_pair_for_notification(user_id=recipient_id, other_id=actor_id):
            return None
        if dedupe_key and not _claim(recipient_id=recipient_id, key=dedupe_key):
            return None
        if channels.in_app:
            notification = _store(
                notification_id=notification_id,
                recipient=recipient,
                kind=kind,
                actor=actor,
                target_type=target_type,
                target_id=target_id,
                data=data,
            )
            if notification is None:  # this delivery already ran
                return None
            unread = selectors.unread_count(user_id=recipient_id)
            events.notification_new(notification, unread_count=unread)
        actor_count = notification.actor_count if notification else 1
        title, body = render(kind=kind, actor=actor, actor_count=actor_count, data=data)
        message = {
            "title": title,
            "body": body,
            "data": {
                "kind": kind,
                "notification_id": str(notification.pk) if notification else "",
                "target_type": target_type,
                "target_id": target_id,
            },
        }
        after_commit(
            _fan_out, recipient_id=recipient_id, kind=kind, channels=channels, message=message
        )
    return notification


# Beside the function it runs, as `devices.send_push` (see there): `notify`
# enqueues it.
@shared_task(name="notifications.tasks.deliver_notification", acks_late=True)
def deliver_notification(**job) -> str | None:
    notification = deliver(**job)
    return str(notification.pk) if notification else None


def _claim(*, recipient_id: Id, key: str) -> bool:
    """Record that `key` was told to the recipient; False if it already was."""
    try:
        with transaction.atomic():
            NotificationDedupe.objects.create(recipient_id=recipient_id, key=key)
    except IntegrityError:
        return False
    return True


def dedupe_retention() -> timedelta:
    """How long an event told stays deduped; its dedupe row is kept that long.

    Never shorter than the collapse window: a folded row re-liked by an actor
    whose dedupe row was gone would tell of them again (counting them once).
    """
    retention = timedelta(hours=conf("DEDUPE_RETENTION_HOURS"))
    if retention < timedelta(seconds=conf("COLLAPSE_WINDOW_SECONDS")):
        raise ImproperlyConfigured(
            "NOTIFICATIONS DEDUPE_RETENTION_HOURS must cover COLLAPSE_WINDOW_SECONDS."
        )
    return retention


def prune_dedupe(*, batch_size: int | None = None) -> int:
    """Delete dedupe rows older than the retention; returns how many went.

    One DELETE of at most `batch_size` rows (oldest first, by the created_at
    index) per statement, each its own short transaction, so a large backlog
    never holds row locks for long nor blocks claims for a long time.
    """
    cutoff = timezone.now() - dedupe_retention()
    size = max(1, batch_size or conf("DEDUPE_PRUNE_BATCH_SIZE"))
    oldest = NotificationDedupe.objects.filter(created_at__lt=cutoff).order_by("created_at")
    deleted = 0
    while True:
        count, _ = NotificationDedupe.objects.filter(pk__in=oldest.values("pk")[:size]).delete()
        deleted += count
        if count < size:
            return deleted


def _store(
    *,
    notification_id: str,
    recipient: User,
    kind: str,
    actor: User | None,
    target_type: str,
    target_id: str,
    data: dict,
) -> Notification | None:
    group = kind_group_key(kind, target_type=target_type, target_id=target_id)
    fields = {
        "recipient": recipient,
        "kind": kind,
        "actor": actor,
        "target_type": target_type,
        "target_id": target_id,
        "data": data,
        "recent_actor_ids": [str(actor.pk)] if actor else [],
    }
    if group is None:
        try:
            with transaction.atomic():
                return Notification.objects.create(id=notification_id, **fields)
        except IntegrityError:
            if Notification.objects.filter(pk=notification_id).exists():
                return None
            raise
    window = timedelta(seconds=conf("COLLAPSE_WINDOW_SECONDS"))
    open_rows = Notification.objects.select_for_update().filter(
        recipient=recipient, group_key=group, read_at__isnull=True
    )
    if actor is not None:
        # Read with the row, no query of its own. Exact for this actor: the same
        # actor's deliveries are one at a time (their dedupe claim), and others'
        # folds only add other actors.
        counted = NotificationActor.objects.filter(notification=OuterRef("pk"), actor=actor)
        open_rows = open_rows.annotate(counts_actor=Exists(counted))
    for _attempt in range(3):
        now = timezone.now()
        open_row = open_rows.first()
        if open_row is not None and open_row.created_at >= now - window:
            return _fold(open_row, actor=actor, data=data, now=now)
        if open_row is not None:
            # Too old to fold into: it stays as it is and a new row starts.
            open_row.group_key = None
            open_row.save(update_fields=["group_key"])
        try:
            with transaction.atomic():
                row = Notification.objects.create(
                    id=notification_id, group_key=group, created_at=now, **fields
                )
        except IntegrityError:
            # A parallel delivery opened the row first: fold into it.
            continue
        if actor is not None:
            NotificationActor.objects.create(notification=row, actor=actor, created_at=now)
        return row
    raise RuntimeError(f"Could not store notification group {group}")


def _fold(row: Notification, *, actor: User | None, data: dict, now: datetime) -> Notification:
    """Fold one more act into the open row (locked): `actor_count` counts each actor
    once, however often they act (an actor the row counts is only moved to the front)."""
    keep = conf("RECENT_ACTORS")
    actor_key = str(actor.pk) if actor else None
    recent = [pk for pk in row.recent_actor_ids if pk != actor_key]
    row.recent_actor_ids = ([actor_key] if actor_key else []) + recent[: keep - 1]
    # Stamped now, not at `now` (before the lock): the latest to fold in is the
    # latest here too, as in `recent_actor_ids`.
    stamp = timezone.now()
    if actor is None:
        row.actor_count += 1
    elif row.counts_actor:
        NotificationActor.objects.filter(notification=row, actor=actor).update(created_at=stamp)
    else:
        NotificationActor.objects.create(notification=row, actor=actor, created_at=stamp)
        row.actor_count += 1
    row.actor = actor
    row.data = {**row.data, **data}
    row.created_at = now
    row.save(update_fields=["actor", "actor_count", "recent_actor_ids", "data", "created_at"])
    return row


def _fan_out(*, recipient_id: str, kind: str, channels: Channels, message: dict) -> None:
    if channels.push and (SPECS[kind].push_when_online or not presence.is_online(recipient_id)):
        for device_id in selectors.active_device_ids(user_ids=[recipient_id]):
            queue_task(task=send_push, args=(device_id, message))
    if channels.email:
        queue_task(
            task=send_notification_email, args=(recipient_id, message["title"], message["body"])
        )


def queue_task(*, task: Task, args: tuple) -> None:
    """Queue a task. One that fails when run in-process (eager) must not stop the rest."""
    try:
        task.delay(*args)
    except Exception:
        logger.exception("task %s failed", task.name)
