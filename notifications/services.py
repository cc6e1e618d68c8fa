"""Notification writes. `notify` is the one entry point for every domain.

A domain calls `notify(...)` inside its own transaction; nothing happens unless
that transaction commits. Then a task (eager without a broker) stores the row,
folds likes into one, publishes `notification.new` to the recipient's sockets,
and queues push and email according to the recipient's preferences.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import IntegrityError, router, transaction
from django.db.models import Exists, F, OuterRef, Q, Window
from django.db.models.deletion import Collector
from django.db.models.functions import Lower, RowNumber
from django.utils import timezone
from rest_framework.exceptions import NotFound

from core.realtime import presence
from core.transactions import after_commit
from users.services import hold_pair_for_notification

from . import events, selectors
from .kinds import SPECS, Channels, render
from .kinds import dedupe_key as kind_dedupe_key
from .kinds import group_key as kind_group_key
from .models import (
    Broadcast,
    Device,
    Kind,
    Notification,
    NotificationActor,
    NotificationDedupe,
    NotificationPreferences,
)
from .push import InvalidToken, PushMessage, get_push_backend
from .targets import target_is_shown

logger = logging.getLogger(__name__)
User = get_user_model()

BROADCAST_NAMESPACE = uuid.UUID("5d8f3f0e-2c1b-4f5e-9a53-6b0c1f7e2a10")


def conf(name: str):
    return settings.NOTIFICATIONS[name]


@dataclass(frozen=True)
class Target:
    """What a notification is about: `Target("forum.post", post.pk)`."""

    type: str
    id: str

    def __post_init__(self):
        object.__setattr__(self, "id", str(self.id))


# --- the entry point ------------------------------------------------------------


def notify(
    *,
    recipient_id,
    kind: str,
    actor_id=None,
    target: Target | None = None,
    data: Mapping | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Tell `recipient_id` about something `actor_id` did, once the caller commits.

    Nobody is told about their own actions, nor about those of a user blocked
    either way (checked at delivery). Kinds that dedupe (likes, follows,
    mentions) tell once per actor or target within the dedupe retention
    (`dedupe_retention()`), so like -> unlike -> like tells once; pass
    `dedupe_key` to dedupe other kinds (an order's events).
    """
    kind = Kind(kind)
    if recipient_id is None or (actor_id is not None and str(actor_id) == str(recipient_id)):
        return
    target_type, target_id = (target.type, target.id) if target else ("", "")
    if dedupe_key is None:
        dedupe_key = kind_dedupe_key(
            kind, actor_id=actor_id, target_type=target_type, target_id=target_id
        )
    # Plain JSON from here on (ids and dates as strings), as the task receives it.
    payload = json.loads(json.dumps(dict(data or {}), default=str))
    job = {
        "notification_id": str(uuid.uuid4()),
        "recipient_id": str(recipient_id),
        "kind": kind.value,
        "actor_id": str(actor_id) if actor_id is not None else None,
        "target_type": target_type,
        "target_id": target_id,
        "data": payload,
        "dedupe_key": dedupe_key,
    }
    after_commit(_queue_delivery, job)


def _queue_delivery(job: dict) -> None:
    from .tasks import deliver_notification

    deliver_notification.delay(**job)


MENTION_RE = re.compile(r"(?<![\w.@])@([A-Za-z0-9_.]{3,30})")


def mentioned_usernames(text: str) -> list[str]:
    """Handles written as @name, lowercased, in order, without repeats."""
    names = (match.rstrip(".").lower() for match in MENTION_RE.findall(text or ""))
    return list(dict.fromkeys(name for name in names if len(name) >= 3))


def notify_mentions(
    *,
    text: str,
    actor_id,
    target: Target,
    data: Mapping | None = None,
    can_see: Callable[[object], bool] | None = None,
    exclude: Iterable = (),
) -> list:
    """Notify the users @mentioned in `text` who may see `target` (`can_see(user)`).

    At most NOTIFICATIONS["MAX_MENTIONS"] users; `exclude` (ids) are skipped, e.g.
    the post's author who already gets "commented on your post". Returns the ids.
    """
    names = mentioned_usernames(text)[: conf("MAX_MENTIONS")]
    if not names:
        return []
    skip = {str(pk) for pk in exclude} | {str(actor_id)}
    users = User.objects.annotate(handle=Lower("username")).filter(handle__in=names, is_active=True)
    notified = []
    for user in users:
        if str(user.pk) in skip or (can_see is not None and not can_see(user)):
            continue
        notify(recipient_id=user.pk, kind=Kind.MENTION, actor_id=actor_id, target=target, data=data)
        notified.append(user.pk)
    return notified


# --- delivery (in a task) ---------------------------------------------------------


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
        if actor_id and not hold_pair_for_notification(recipient_id, actor_id):
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


def _claim(*, recipient_id, key: str) -> bool:
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
    *, notification_id, recipient, kind, actor, target_type, target_id, data
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


def _fold(row: Notification, *, actor, data: dict, now) -> Notification:
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
    from .tasks import send_notification_email, send_push

    if channels.push and (SPECS[kind].push_when_online or not presence.is_online(recipient_id)):
        for device_id in selectors.active_device_ids(user_ids=[recipient_id]):
            _queue(send_push, device_id, message)
    if channels.email:
        _queue(send_notification_email, recipient_id, message["title"], message["body"])


def _queue(task, *args) -> None:
    """Queue a task. One that fails when run in-process (eager) must not stop the rest."""
    try:
        task.delay(*args)
    except Exception:
        logger.exception("task %s failed", task.name)


# --- reading ---------------------------------------------------------------------


def mark_read(*, user, notification_id) -> Notification:
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


def mark_all_read(*, user) -> int:
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


def delete_notification(*, user, notification_id) -> None:
    with transaction.atomic():
        notification = selectors.get_notification(user=user, notification_id=notification_id)
        notification.delete()
        events.notification_deleted(
            user_id=user.pk,
            notification_id=notification_id,
            unread_count=selectors.unread_count(user_id=user.pk),
        )


# --- withdrawal ------------------------------------------------------------------


def withdraw_notifications(*, targets: Iterable[Target]) -> int:
    """Remove every notification about `targets`, whoever got it; how many went.

    For content gone out of sight (hidden by a moderator, deleted): call it in
    the transaction that hides or deletes. Each recipient's sockets get
    `notification.deleted` per row, with their unread count after the removal,
    once that transaction commits. Nothing is re-created if the content comes
    back (a moderator restores it), and the dedupe records stay: an actor who
    repeats the same act later (like -> unlike -> like) is still not told twice.
    """
    ids_by_type: dict[str, set[str]] = {}
    for target in targets:
        ids_by_type.setdefault(target.type, set()).add(target.id)
    if not ids_by_type:
        return 0
    condition = Q()
    for target_type, ids in ids_by_type.items():
        condition |= Q(target_type=target_type, target_id__in=sorted(ids))
    return _withdraw(condition)


def withdraw_between(*, user_id, other_id) -> int:
    """Take out what either user was told about the other's doings (a block); how
    many rows went or changed.

    A row whose only actor is the other user goes. From a row several actors
    folded into (likes), only the other user goes, wherever they are among its
    actors (NotificationActor lists them all): one less in `actor_count`, and the
    row shows its latest remaining actors (`actor`, `recent_actor_ids`). The
    recipient's sockets get `notification.deleted` for a row gone and
    `notification.new` (the row again, same id) for a row changed, each with the
    unread count after the withdrawal, once the caller commits. Not re-created on
    unblock.

    A row folded before NotificationActor existed knows only the actors it
    remembered then (migration 0004): older ones stay counted. So does an actor
    whose account was deleted since (their NotificationActor went with them), as
    their like stays counted on the post.
    """
    other = {str(user_id): str(other_id), str(other_id): str(user_id)}
    condition = Q()
    for recipient, actor in other.items():
        folded_in = NotificationActor.objects.filter(actor_id=actor).values("notification_id")
        condition |= Q(recipient_id=recipient) & (Q(actor_id=actor) | Q(pk__in=folded_in))
    with transaction.atomic(savepoint=False):
        gone, changed = [], []
        for row in _locked(condition):
            # Found, so counted once: as the only actor or in NotificationActor.
            (changed if row.actor_count > 1 else gone).append(row)
        if changed:
            # Nobody is told about their own doings, so of the two users only the
            # other one can be among a row's actors.
            NotificationActor.objects.filter(
                notification__in=changed, actor_id__in=list(other)
            ).delete()
            for row in changed:
                row.actor_count -= 1
            _show_latest_actors(changed)
            Notification.objects.bulk_update(changed, ["actor", "actor_count", "recent_actor_ids"])
        _remove(gone, changed=changed)
    return len(gone) + len(changed)


def _show_latest_actors(rows: list[Notification]) -> None:
    """Set each row's `actor` and `recent_actor_ids` to its latest actors in
    NotificationActor ("Someone" when none is left), profiles joined for the
    event, in one query."""
    latest = (
        NotificationActor.objects.filter(notification__in=rows)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("notification_id"),
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=conf("RECENT_ACTORS"))
        .select_related("actor__profile")
        .order_by("notification_id", "rank")
    )
    actors: dict = {}
    for link in latest:
        actors.setdefault(link.notification_id, []).append(link.actor)
    for row in rows:
        shown = actors.get(row.pk, [])
        row.actor = shown[0] if shown else None
        row.recent_actor_ids = [str(user.pk) for user in shown]


def _locked(condition: Q, *fields: str) -> list[Notification]:
    """The rows matching `condition`, locked (only `fields` loaded, if given).

    Locked in id order, so withdrawals that overlap (a block while a post is
    hidden) cannot deadlock, and a like folding into a row waits for them."""
    rows = Notification.objects.filter(condition).order_by("pk").select_for_update()
    return list(rows.only(*fields) if fields else rows)


def _withdraw(condition: Q) -> int:
    """Three queries however many rows and recipients: lock, delete, count unread."""
    # No savepoint: the caller's transaction is the unit (a failure rolls it all back).
    with transaction.atomic(savepoint=False):
        rows = _locked(condition, "pk", "recipient_id")
        _remove(rows)
    return len(rows)


def _remove(gone: list[Notification], *, changed: list[Notification] = ()) -> None:
    """Delete `gone`, then tell the recipients of `gone` and of `changed` with one
    grouped unread count: `notification.deleted`, `notification.new` (the row again)."""
    if not gone and not changed:
        return
    told = [(row.recipient_id, row.pk) for row in gone]
    if gone:
        _delete(gone)
    unread = selectors.unread_counts(
        user_ids={recipient for recipient, _ in told} | {row.recipient_id for row in changed}
    )
    for recipient, pk in told:
        events.notification_deleted(
            user_id=recipient, notification_id=pk, unread_count=unread.get(str(recipient), 0)
        )
    for row in changed:
        events.notification_new(row, unread_count=unread.get(str(row.recipient_id), 0))


def _delete(rows: list[Notification]) -> None:
    """Delete rows already loaded, and their NotificationActor rows: two queries (a
    queryset's delete() would read the rows again first). Their pks are None after."""
    collector = Collector(using=router.db_for_write(Notification))
    collector.collect(rows)
    collector.delete()


# --- preferences -----------------------------------------------------------------


def update_preferences(
    *, user, kinds: Mapping | None = None, email_digest: bool | None = None
) -> selectors.Preferences:
    """Merge the given choices into the user's; what is not given stays."""
    with transaction.atomic():
        row, _ = NotificationPreferences.objects.select_for_update().get_or_create(user=user)
        overrides = dict(row.channels or {})
        for kind, channels in (kinds or {}).items():
            Kind(kind)
            overrides[kind] = {**overrides.get(kind, {}), **dict(channels)}
        row.channels = overrides
        fields = ["channels", "updated_at"]
        if email_digest is not None:
            row.email_digest = email_digest
            fields.append("email_digest")
        row.save(update_fields=fields)
    return selectors.Preferences(overrides=row.channels, email_digest=row.email_digest)


# --- devices ---------------------------------------------------------------------


def register_device(
    *, user, platform: str, token: str, app_version: str = "", device_id: str = ""
) -> tuple[Device, bool]:
    """Register a push token for `user`; (device, created).

    A token already known moves to `user` and is active again. A new token for
    an install (`device_id`) the user registered before replaces the old one.
    """
    fields = {
        "user": user,
        "platform": platform,
        "app_version": app_version,
        "device_id": device_id,
        "is_active": True,
        "deactivated_at": None,
        "deactivation_reason": "",
    }
    with transaction.atomic():
        device, created = Device.objects.select_for_update().update_or_create(
            token=token, defaults=fields
        )
        if device_id:
            Device.objects.filter(user=user, device_id=device_id).exclude(pk=device.pk).delete()
    return device, created


def unregister_device(*, user, device_pk=None, token: str | None = None) -> None:
    """Forget one of the user's devices, by id or by token; anybody else's is a 404."""
    devices = Device.objects.filter(user=user)
    devices = devices.filter(pk=device_pk) if device_pk is not None else devices.filter(token=token)
    deleted, _ = devices.delete()
    if not deleted:
        raise NotFound("No such device.")


def deactivate_device(*, device_pk, reason: str) -> None:
    Device.objects.filter(pk=device_pk, is_active=True).update(
        is_active=False, deactivated_at=timezone.now(), deactivation_reason=reason[:64]
    )


def push_to_device(*, device_id: str, message: dict) -> bool:
    """Send one push; a token the provider calls dead is deactivated.

    TransientPushError propagates so the task retries.
    """
    device = Device.objects.filter(pk=device_id, is_active=True).first()
    if device is None:
        return False
    try:
        get_push_backend().send(
            token=device.token, platform=device.platform, message=PushMessage(**message)
        )
    except InvalidToken as exc:
        logger.info("push token of device %s is dead (%s): deactivated", device.pk, exc.reason)
        deactivate_device(device_pk=device.pk, reason=exc.reason)
        return False
    Device.objects.filter(pk=device.pk).update(last_pushed_at=timezone.now())
    return True


# --- email -----------------------------------------------------------------------


def email_notification(*, user_id, title: str, body: str) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    link = f"{settings.FRONTEND_URL.rstrip('/')}/notifications"
    text = "\n\n".join(part for part in (title, body, f"See it in the app: {link}") if part)
    send_mail(title, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True


def send_digest(*, user_id) -> bool:
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


# --- broadcast -------------------------------------------------------------------


def create_broadcast(*, sender, title: str, body: str, recipient_ids=None) -> Broadcast:
    """Queue a system notification to every user, or to `recipient_ids` only when
    given; the batches run in a task."""
    from .tasks import send_broadcast

    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            created_by=sender, title=title, body=body, targeted=recipient_ids is not None
        )
        if recipient_ids is not None:
            broadcast.recipients.add(*recipient_ids)
        after_commit(send_broadcast.delay, str(broadcast.pk))
    return broadcast


def send_broadcast_batch(*, broadcast_id) -> bool:
    """Notify the next batch of users in one short transaction; True if more remain.

    Users are walked in id order from the broadcast's cursor; notification ids are
    derived from (broadcast, user), so a batch that runs twice creates nothing twice.
    """
    return _on_one_event_loop(_send_broadcast_batch, broadcast_id)


def _on_one_event_loop(func, /, *args):
    """Run sync `func` under one outer event loop.

    Each publish does `async_to_sync`; from plain sync code that makes a new loop
    (and a new channel-layer connection) per recipient. Under an outer loop they
    all reuse it: about three times faster for a batch of a thousand.
    """

    async def outer():
        return await sync_to_async(func, thread_sensitive=True)(*args)

    return async_to_sync(outer)()


def _send_broadcast_batch(broadcast_id) -> bool:
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


def _fan_out_broadcast(*, push_to: list, email_to: list, message: dict) -> None:
    from .tasks import send_notification_email, send_push

    if not SPECS[Kind.SYSTEM].push_when_online:
        online = presence.online_users(push_to)
        push_to = [uid for uid in push_to if uid not in online]
    for device_id in selectors.active_device_ids(user_ids=push_to):
        _queue(send_push, device_id, message)
    for user_id in email_to:
        _queue(send_notification_email, user_id, message["title"], message["body"])
