"""A refund the shop owes: a payment it could not honour (paid after the
reservation lapsed with the items sold out, or not matching the order's total)
is refunded at Stripe by the `refund_payment` task, retried by the
reconciliation. Staff refunds of a paid order are `orders.refund_order`."""

from __future__ import annotations

from django.utils import timezone

from core.types import Id

from .. import payments
from ..models import Payment, PaymentStatus


def refund_pending_payment(*, payment_id: Id) -> bool:
    """Refund at Stripe a payment the shop could not honour (paid late, sold out).
    Idempotent; raises PaymentProviderUnavailable for the task to retry."""
    payment = Payment.objects.filter(pk=payment_id, status=PaymentStatus.REFUND_PENDING).first()
    if payment is None:
        return False
    refund_id = payments.refund(
        payment_intent=payment.stripe_payment_intent_id, order_id=str(payment.order_id)
    )
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.REFUNDED, stripe_refund_id=refund_id, updated_at=timezone.now()
    )
    return True
