"""The reconciliation (a beat job): checkouts whose webhook never came are
settled by asking Stripe, and refunds owed are retried."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.types import Id

from .. import payments
from ..models import Order, OrderStatus, Payment, PaymentStatus
from ..payments import PaymentProviderUnavailable
from .orders import expire_unpaid_order, mark_paid
from .refunds import refund_pending_payment

S = OrderStatus


def reconcile_order(*, order_id: Id) -> str:
    """An unpaid order past its reservation: Stripe is asked about its session.
    Paid there: paid here. Still open: expired there, then here. Completed
    with the payment still in progress (bank debits): kept. Stripe not
    answering: expired here all the same (a payment that comes later is a late one)."""
    order = Order.objects.filter(pk=order_id, status=S.PENDING_PAYMENT).first()
    if order is None:
        return "not unpaid"
    session = None
    if order.stripe_session_id and payments.configured():
        try:
            session = payments.retrieve_checkout_session(order.stripe_session_id)
            if session.status == "open":
                session = payments.expire_checkout_session(order.stripe_session_id)
        except (PaymentProviderUnavailable, payments.SessionNotOpen):
            session = None
    if session is not None and session.status == "complete":
        if session.payment_status in ("paid", "no_payment_required"):
            with transaction.atomic():
                return mark_paid(order_id=order.pk, session=session)
        return "waiting: asynchronous payment"
    return expire_unpaid_order(order_id=order.pk)


def reconcile_checkouts(*, limit: int = 500) -> dict:
    """Beat's job: unpaid orders past their time reconciled one by one, and
    refunds owed retried."""
    due = Order.objects.filter(status=S.PENDING_PAYMENT, expires_at__lte=timezone.now())
    outcomes: dict = {}
    for order_id in due.order_by("expires_at").values_list("pk", flat=True)[:limit]:
        outcome = reconcile_order(order_id=order_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    owed = Payment.objects.filter(status=PaymentStatus.REFUND_PENDING).values_list("pk", flat=True)
    for payment_id in owed[:limit]:
        try:
            refund_pending_payment(payment_id=payment_id)
        except PaymentProviderUnavailable:
            outcomes["refund retry failed"] = outcomes.get("refund retry failed", 0) + 1
    return outcomes
