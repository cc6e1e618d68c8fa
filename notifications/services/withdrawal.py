"""Taking notifications back: content gone out of sight, users who blocked each other."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import router, transaction
from django.db.models import F, Q, Window
from django.db.models.deletion import Collector
from django.db.models.functions import RowNumber

from core.types import Id

from .. import events, selectors
from ..conf import conf
from ..models import Notification, NotificationActor
from .notifying import Target


def withdraw_notifications(
    *, targets: Iterable[Target], recipient_id: Id | None = None, unread_only: bool = False
) -> int:
    """Remove every notification about `targets`, whoever got it; how many went.
    `recipient_id`: only that user's; `unread_only`: only those not read yet (a
    member leaving a conversation loses what they have not opened).

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
    if recipient_id is not None:
        condition &= Q(recipient_id=recipient_id)
    if unread_only:
        condition &= Q(read_at__isnull=True)
    return _withdraw(condition)


def withdraw_between(*, user_id: Id, other_id: Id) -> int:
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
