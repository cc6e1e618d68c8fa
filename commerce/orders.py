"""An order's status: every change goes through `transition`, which refuses the
moves the life of an order does not have.

    pending_payment -> paid -> fulfilled
                   \\-> cancelled | expired          (stock released)
    paid, fulfilled -> refunded
    cancelled, expired -> paid | refunded            (a payment that came late:
                                                      paid if the stock is still
                                                      there, else refunded)
"""

from __future__ import annotations

from django.utils import timezone

from core.exceptions import Conflict

from . import error_codes
from .models import Order
from .models import OrderStatus as S

ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED, S.EXPIRED}),
    S.PAID: frozenset({S.FULFILLED, S.REFUNDED}),
    S.FULFILLED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset({S.PAID, S.REFUNDED}),
    S.EXPIRED: frozenset({S.PAID, S.REFUNDED}),
    S.REFUNDED: frozenset(),
}

# The timestamp each status sets.
_STAMPS = {
    S.PAID: "paid_at",
    S.FULFILLED: "fulfilled_at",
    S.CANCELLED: "cancelled_at",
    S.EXPIRED: "cancelled_at",
    S.REFUNDED: "refunded_at",
}


def can_transition(order: Order, to: str) -> bool:
    return to in ALLOWED[order.status]


def transition(order: Order, to: str, *, reason: str = "") -> Order:
    """Move `order` (locked by the caller, in its transaction) to `to` and save
    it, or raise 409 `invalid_transition` naming both statuses."""
    if not can_transition(order, to):
        raise Conflict(
            error_codes.INVALID_TRANSITION,
            f"Order {order.number} is {order.status}; it cannot become {to}.",
        )
    order.status = to
    fields = ["status", "updated_at"]
    stamp = _STAMPS.get(to)
    if stamp:
        setattr(order, stamp, timezone.now())
        fields.append(stamp)
    if reason:
        order.status_reason = reason[:200]
        fields.append("status_reason")
    order.save(update_fields=fields)
    return order
