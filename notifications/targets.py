"""Whether a notification's target may still be told about, asked at delivery.

A domain whose content can go out of sight (hidden, deleted) registers a check
per target type from its `AppConfig.ready()`; notifications import no domain::

    register_target_check("forum.post", forum.services.hold_post_for_notification)

`check(target_id) -> bool` runs first in the delivery's transaction, before the
block check (which holds both users) and before the row is stored or folded:
True if the target is still there and shown, and then it holds the target (a
share lock, `core.locks.exists_for_share`) until that transaction ends. So a
hide or delete that withdraws the notifications about the target either waits
for the delivery and withdraws its row too, or went first and the delivery sees
it. One query. Types without a check (a user, an order) are told as they are.
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

TargetCheck = Callable[[str], bool]

_checks: dict[str, TargetCheck] = {}


def register_target_check(target_type: str, check: TargetCheck) -> None:
    if _checks.get(target_type, check) is not check:
        raise ImproperlyConfigured(f"A check for target type {target_type!r} is registered.")
    _checks[target_type] = check


def unregister_target_check(target_type: str) -> None:
    _checks.pop(target_type, None)


def target_is_shown(*, target_type: str, target_id: str) -> bool:
    check = _checks.get(target_type) if target_type else None
    return True if check is None else bool(check(target_id))
