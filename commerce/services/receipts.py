"""The receipt email of a paid order, sent by the `send_receipt` task."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from core.types import Id

from ..models import Order


class ReceiptBeingSent(Exception):
    """Another copy of the receipt task holds the order's receipt lease: retry
    once it lapses (`seconds`), by when that copy has sent it or died."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"receipt being sent; lease lapses in {seconds:.1f}s")
        self.seconds = max(seconds, 0.0)


def send_receipt(*, order_id: Id) -> bool:
    """The receipt email of a paid order, at least once: marked sent only once
    the mail server has taken it, so a worker that dies while sending leaves it
    unsent for the redelivered task (a receipt twice beats none). While one
    worker sends, it holds a lease (SHOP_RECEIPT_LEASE_SECONDS, longer than
    EMAIL_TIMEOUT) that a parallel copy waits out (`ReceiptBeingSent`).
    False if sent already or not paid."""
    now = timezone.now()
    lease = timedelta(seconds=float(settings.SHOP_RECEIPT_LEASE_SECONDS))
    claimed = (
        Order.objects.filter(pk=order_id, receipt_sent_at__isnull=True, paid_at__isnull=False)
        .filter(Q(receipt_lease_until__isnull=True) | Q(receipt_lease_until__lte=now))
        .update(receipt_lease_until=now + lease)
    )
    if not claimed:
        state = Order.objects.filter(pk=order_id).values("receipt_sent_at", "paid_at").first()
        if state is None or state["receipt_sent_at"] or not state["paid_at"]:
            return False
        until = Order.objects.filter(pk=order_id).values_list("receipt_lease_until", flat=True)
        held_until = until.first()
        raise ReceiptBeingSent((held_until - now).total_seconds() if held_until else 0.0)
    order = Order.objects.select_related("user").get(pk=order_id)
    currency = order.currency.upper()
    lines = [
        f"{item.quantity} x {item.product_name} at {item.unit_price} {currency}: "
        f"{item.line_total} {currency}"
        for item in order.items.all()
    ]
    body = "\n".join(
        [
            f"Thank you for your order {order.number}.",
            "",
            *lines,
            "",
            f"Total paid: {order.total} {currency}",
            f"Paid at: {order.paid_at:%Y-%m-%d %H:%M} UTC",
        ]
    )
    try:
        send_mail(
            f"Receipt for order {order.number}",
            body,
            settings.DEFAULT_FROM_EMAIL,
            [order.user.email],
        )
    except Exception:
        Order.objects.filter(pk=order_id).update(receipt_lease_until=None)
        raise
    Order.objects.filter(pk=order_id).update(
        receipt_sent_at=timezone.now(), receipt_lease_until=None
    )
    return True
