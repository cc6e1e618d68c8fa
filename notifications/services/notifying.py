"""The entry point: `notify(...)` (and `notify_mentions`) for every domain.

A domain calls `notify(...)` inside its own transaction; nothing happens unless
that transaction commits. Then a task (eager without a broker) runs
`delivery.deliver`, which stores the row, folds likes into one, publishes
`notification.new` to the recipient's sockets, and queues push and email
according to the recipient's preferences.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from core.identifiers import fold
from core.transactions import after_commit
from core.types import Id
from users.models import User

from ..conf import conf
from ..kinds import dedupe_key as kind_dedupe_key
from ..models import Kind
from .delivery import deliver_notification


@dataclass(frozen=True)
class Target:
    """What a notification is about: `Target("forum.post", post.pk)`."""

    type: str
    id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", str(self.id))


def notify(
    *,
    recipient_id: Id | None,
    kind: str,
    actor_id: Id | None = None,
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
    deliver_notification.delay(**job)


MENTION_RE = re.compile(r"(?<![\w.@])@([A-Za-z0-9_.]{3,30})")


def mentioned_usernames(*, text: str) -> list[str]:
    """Handles written as @name, lowercased, in order, without repeats."""
    names = (match.rstrip(".").lower() for match in MENTION_RE.findall(text or ""))
    return list(dict.fromkeys(name for name in names if len(name) >= 3))


def notify_mentions(
    *,
    text: str,
    actor_id: Id,
    target: Target,
    data: Mapping | None = None,
    can_see: Callable[[User], bool] | None = None,
    exclude: Iterable[Id] = (),
) -> list[Id]:
    """Notify the users @mentioned in `text` who may see `target` (`can_see(user)`).

    At most NOTIFICATIONS["MAX_MENTIONS"] users; `exclude` (ids) are skipped, e.g.
    the post's author who already gets "commented on your post". Returns the ids.
    """
    names = mentioned_usernames(text=text)[: conf("MAX_MENTIONS")]
    if not names:
        return []
    skip = {str(pk) for pk in exclude} | {str(actor_id)}
    keys = {fold(name) for name in names}
    users = User.objects.filter(username_key__in=keys, is_active=True)
    notified = []
    for user in users:
        if str(user.pk) in skip or (can_see is not None and not can_see(user)):
            continue
        notify(recipient_id=user.pk, kind=Kind.MENTION, actor_id=actor_id, target=target, data=data)
        notified.append(user.pk)
    return notified
