"""Stripe's webhooks: verified by signature, each event processed once, and
dispatched by its type to the handler in `HANDLERS`; other types are
acknowledged and ignored. Each handler answers what it did (the `outcome` the
endpoint returns and the event's row keeps)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.exceptions import NotFound

from .. import payments, selectors, writes
from ..models import OrderStatus, Payment, PaymentStatus, WebhookEvent
from .orders import REASON_REFUNDED, expire_unpaid_order, mark_paid, mark_refunded

S = OrderStatus


def _order_id_of(session: dict) -> uuid.UUID | None:
    metadata = session.get("metadata") or {}
    return selectors.parse_uuid(metadata.get("order_id") or session.get("client_reference_id"))


def _charge_refunded(charge: dict) -> str:
    intent = charge.get("payment_intent")
    payment = Payment.objects.filter(stripe_payment_intent_id=intent).first() if intent else None
    if payment is None:
        return "ignored: unknown payment"
    if not charge.get("refunded"):
        return "ignored: partial refund"
    order = selectors.lock_order(payment.order_id)
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.REFUNDED, updated_at=timezone.now()
    )
    if order.status not in (S.PAID, S.FULFILLED):
        return f"already {order.status}"
    mark_refunded(order=order, reason=REASON_REFUNDED)
    return "refunded"


def _for_the_order(
    settle: Callable[[uuid.UUID, payments.CheckoutSession], str],
) -> Callable[[dict], str]:
    """A Checkout Session event's handler: `settle` gets the order the session
    names and the session; an order not found is ignored."""

    def handle(obj: dict) -> str:
        order_id = _order_id_of(obj)
        if order_id is None:
            return "ignored: unknown order"
        session = payments.checkout_session_from(obj)
        try:  # the order is looked up by the lock each settlement takes first
            return settle(order_id, session)
        except NotFound:
            return "ignored: unknown order"

    return handle


def _session_completed(order_id: uuid.UUID, session: payments.CheckoutSession) -> str:
    if session.payment_status not in ("paid", "no_payment_required"):
        return "waiting: asynchronous payment"
    return mark_paid(order_id=order_id, session=session)


def _session_paid(order_id: uuid.UUID, session: payments.CheckoutSession) -> str:
    return mark_paid(order_id=order_id, session=session)


def _session_ended(order_id: uuid.UUID, session: payments.CheckoutSession) -> str:
    return expire_unpaid_order(order_id=order_id)


# The event types handled, each by what its data object gets (the charge, or
# the Checkout Session with its order).
HANDLERS: dict[str, Callable[[dict], str]] = {
    "charge.refunded": _charge_refunded,
    "checkout.session.completed": _for_the_order(_session_completed),
    "checkout.session.async_payment_succeeded": _for_the_order(_session_paid),
    "checkout.session.expired": _for_the_order(_session_ended),
    "checkout.session.async_payment_failed": _for_the_order(_session_ended),
}


def _dispatch(event: Mapping[str, Any]) -> str:
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return "ignored: event type"
    return handler(event["data"]["object"])


def handle_webhook(*, payload: bytes, signature: str | None) -> str:
    """Verify a Stripe webhook and process its event once: the event's row and
    what it does commit together, and a parallel delivery of the same event
    waits on the row's unique id, then finds it. Answers what was done."""
    event = payments.construct_event(payload, signature)
    record = WebhookEvent(
        stripe_event_id=event["id"], type=event["type"], payload=json.loads(payload)
    )
    with transaction.atomic():
        if not writes.insert_once(record, unique="stripe_event_id"):
            return "duplicate"
        outcome = _dispatch(event)
        record.processed_at = timezone.now()
        record.outcome = outcome[:200]
        record.save(update_fields=["processed_at", "outcome"])
    return outcome
