"""An order's life after checkout: paid (a Checkout Session's payment settled
here, or refused when it does not match the order), cancelled by the buyer,
expired, shipped, refunded; the stock follows each step and the buyer is told.

Locks, always in this order: the order row, then stock rows by product id
(`commerce.stock`). Nothing talks to Stripe while a transaction is open.
Events, notifications and tasks (the receipt, a refund owed) leave on commit.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core import error_codes as core_codes
from core.exceptions import Conflict, NotFound
from core.transactions import after_commit
from core.types import Id
from notifications.models import Kind
from notifications.services import Target, notify
from users.models import User

from .. import error_codes, events, payments, selectors, stock, writes
from ..models import CartItem, Order, OrderStatus, Payment, PaymentProblem, PaymentStatus
from ..orders import transition
from ..payment_tasks import refund_payment, send_receipt
from ..payments import PaymentProviderUnavailable

logger = logging.getLogger(__name__)
S = OrderStatus

# Names the buyer sees on the order when it ended without them.
REASON_PROVIDER_DOWN = "The payment provider was unavailable; nothing was charged."
REASON_EXPIRED = "Not paid in time; the items were released."
REASON_CANCELLED = "Cancelled by the buyer."
REASON_LATE_PAID = "Paid after the reservation had lapsed; the items were still available."
REASON_LATE_REFUNDED = (
    "Paid after the reservation had lapsed and the items were sold out: refunded automatically."
)
REASON_REFUNDED = "Refunded."
REASON_PAYMENT_REFUSED = (
    "The payment did not match the order's total: it was refunded and the items released."
)


def _release_reservations(order: Order) -> None:
    stock.release(writes.take_reservations(order))


def end_unpaid_order(*, order_id: Id, status: str, reason: str, tell: bool = True) -> bool:
    """An unpaid order cancelled or expired, its stock released. False if it
    was not unpaid any more (paid meanwhile: that wins)."""
    with transaction.atomic():
        order = selectors.lock_order(order_id)
        if order.status != S.PENDING_PAYMENT:
            return False
        _release_reservations(order)
        transition(order, status, reason=reason)
        if tell:
            events.order_updated(order)
        return True


# --- the buyer's and staff's acts ----------------------------------------------------------


def cancel_order(*, user: User, order_id: Id) -> Order:
    """The buyer cancels an unpaid order: its Checkout Session is expired at
    Stripe, its stock released. 409 if it is paid (or being paid) already."""
    order = selectors.orders_of(user=user).filter(pk=selectors.parse_uuid(order_id)).first()
    if order is None:
        raise NotFound(core_codes.NOT_FOUND, "No such order.")
    if order.status != S.PENDING_PAYMENT:
        raise Conflict(
            error_codes.ORDER_NOT_CANCELLABLE, f"Order {order.number} is {order.status}."
        )
    if order.stripe_session_id and payments.configured():
        try:
            payments.expire_checkout_session(order.stripe_session_id)
        except payments.SessionNotOpen:
            session = payments.retrieve_checkout_session(order.stripe_session_id)
            if session.status == "complete" and _settled_as_refused(order, session):
                order.refresh_from_db()
                return order
            if session.status == "complete":
                raise Conflict(
                    error_codes.ORDER_NOT_CANCELLABLE,
                    f"Order {order.number} has been paid; it cannot be cancelled.",
                ) from None
        except PaymentProviderUnavailable:
            # Cancelled here all the same: a payment that still completes on the
            # open session is handled as a late one (paid if in stock, else refunded).
            logger.warning("Order %s cancelled with its Stripe session still open", order.pk)
    if not end_unpaid_order(order_id=order.pk, status=S.CANCELLED, reason=REASON_CANCELLED):
        order.refresh_from_db()
        raise Conflict(
            error_codes.ORDER_NOT_CANCELLABLE, f"Order {order.number} is {order.status}."
        )
    order.refresh_from_db()
    return order


def _settled_as_refused(order: Order, session: payments.CheckoutSession) -> bool:
    """A completed session's payment settled now; whether it was refused (the
    order cancelled, the payment refunded), which the buyer's cancel answers."""
    if session.payment_status not in ("paid", "no_payment_required"):
        return False
    with transaction.atomic():
        outcome = mark_paid(order_id=order.pk, session=session)
    return outcome.startswith("refused")


@transaction.atomic
def fulfil_order(*, order_id: Id) -> Order:
    order = selectors.lock_order(order_id)
    if order.status != S.PAID:
        raise Conflict(
            error_codes.ORDER_NOT_FULFILLABLE,
            f"Order {order.number} is {order.status}; only paid orders ship.",
        )
    transition(order, S.FULFILLED)
    events.order_updated(order)
    _tell(order, Kind.ORDER_SHIPPED, f"Order {order.number} is on its way.")
    return order


def refund_order(*, order_id: Id) -> Order:
    """Staff refund the whole payment at Stripe (503 and nothing changes if
    Stripe is unavailable), then the order is refunded, its stock returned
    unless it shipped, and the buyer told. A refund's key is the order's, so
    asking twice refunds once."""
    with transaction.atomic():
        order = selectors.lock_order(order_id)
        payment = _payment_of(order)
        if order.status not in (S.PAID, S.FULFILLED) or payment is None:
            raise Conflict(
                error_codes.ORDER_NOT_REFUNDABLE, f"Order {order.number} is {order.status}."
            )
    refund_id = payments.refund(
        payment_intent=payment.stripe_payment_intent_id, order_id=str(order.pk)
    )
    with transaction.atomic():
        order = selectors.lock_order(order_id)
        if order.status in (S.PAID, S.FULFILLED):
            mark_refunded(order=order, reason=REASON_REFUNDED)
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.REFUNDED, stripe_refund_id=refund_id, updated_at=timezone.now()
        )
    return order


def _payment_of(order: Order) -> Payment | None:
    return Payment.objects.filter(order=order).order_by("-created_at").first()


def mark_refunded(*, order: Order, reason: str) -> None:
    """Refunded (the order locked by the caller): stock back unless it shipped."""
    if order.status == S.PAID:
        stock.put_back(
            (item.product_id, item.quantity) for item in order.items.all() if item.product_id
        )
    transition(order, S.REFUNDED, reason=reason)
    events.order_updated(order)
    _tell(
        order,
        Kind.ORDER_REFUNDED,
        f"Order {order.number}: {order.total} {order.currency.upper()} refunded.",
    )


def _tell(order: Order, kind: str, body: str) -> None:
    notify(
        recipient_id=order.user_id,
        kind=kind,
        target=Target("commerce.order", order.pk),
        data={"order_id": str(order.pk), "order_number": order.number, "body": body},
        dedupe_key=f"{kind}:{order.pk}",
    )


# --- payments settled: what Stripe tells, by webhook or when asked ------------------------------


def _amount_problem(order: Order, session: payments.CheckoutSession) -> str:
    """Why this session's payment cannot pay this order ("" if it can)."""
    if session.amount_total is None:
        return PaymentProblem.NO_AMOUNT
    expected = payments.minor_units(order.total, order.currency)
    if session.amount_total != expected or (session.currency or "").lower() != order.currency:
        return PaymentProblem.WRONG_AMOUNT
    return ""


def mark_paid(*, order_id: Id, session: payments.CheckoutSession) -> str:
    """A Checkout Session paid. Unpaid order: its reservation becomes a sale.
    Expired or cancelled meanwhile: paid if the stock is still there, else
    refunded automatically. Paid, shipped or refunded already: nothing.
    Another session than the order's own: nothing (logged). Another amount or
    currency than the order's, or none: refused (`_refuse_payment`)."""
    order = selectors.lock_order(order_id)
    if order.stripe_session_id and order.stripe_session_id != session.id:
        logger.error(
            "Stripe session %s names order %s, whose session is %s: ignored",
            session.id,
            order.pk,
            order.stripe_session_id,
        )
        return "ignored: not the order's session"
    if order.status in (S.PAID, S.FULFILLED, S.REFUNDED):
        return f"already {order.status}"
    problem = _amount_problem(order, session)
    if problem:
        return _refuse_payment(order, session, problem)
    intent = session.payment_intent or f"session:{session.id}"
    payment = Payment(
        order=order,
        stripe_session_id=session.id,
        stripe_payment_intent_id=intent,
        amount=order.total,
        currency=order.currency,
        status=PaymentStatus.SUCCEEDED,
    )
    if not writes.insert_once(payment, unique="stripe_payment_intent_id"):
        payment = Payment.objects.get(stripe_payment_intent_id=intent)
    lines = [(item.product_id, item.quantity) for item in order.items.all() if item.product_id]
    if order.status == S.PENDING_PAYMENT:
        stock.sell(writes.take_reservations(order))
        transition(order, S.PAID)
    elif stock.can_take(lines):
        stock.take(lines)
        transition(order, S.PAID, reason=REASON_LATE_PAID)
    else:
        transition(order, S.REFUNDED, reason=REASON_LATE_REFUNDED)
        Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.REFUND_PENDING)
        after_commit(refund_payment.delay, str(payment.pk))
        events.order_updated(order)
        _tell(order, Kind.ORDER_REFUNDED, f"Order {order.number}: {REASON_LATE_REFUNDED}")
        return "refunded: paid late, out of stock"
    bought = {product_id for product_id, _ in lines}
    CartItem.objects.filter(cart__user_id=order.user_id, product_id__in=bought).delete()
    events.order_updated(order)
    _tell(order, Kind.ORDER_PAID, f"Order {order.number}: {order.total} {order.currency.upper()}.")
    after_commit(send_receipt.delay, str(order.pk))
    return "paid"


def _refuse_payment(order: Order, session: payments.CheckoutSession, problem: str) -> str:
    """A payment that cannot pay the order (the order locked by the caller):
    recorded, refunded at Stripe by a task (beat retries it), the order flagged
    for staff (`payment_problem`) and, if still unpaid, cancelled with its stock
    released; the buyer is told. Seen again (a replay, reconciliation): nothing."""
    currency = (session.currency or order.currency).lower()[:3]
    amount = (
        payments.from_minor_units(session.amount_total, currency)
        if session.amount_total is not None
        else Decimal("0")
    )
    payment = Payment(
        order=order,
        stripe_session_id=session.id,
        stripe_payment_intent_id=session.payment_intent or f"session:{session.id}",
        amount=amount,
        currency=currency,
        status=PaymentStatus.REFUND_PENDING,
    )
    if not writes.insert_once(payment, unique="stripe_payment_intent_id"):
        return "ignored: refused already"
    logger.error(
        "Order %s: Stripe session %s paid %s %s, the order is %s %s: refused, refunding",
        order.pk,
        session.id,
        session.amount_total,
        session.currency,
        payments.minor_units(order.total, order.currency),
        order.currency,
    )
    if order.status == S.PENDING_PAYMENT:
        _release_reservations(order)
        transition(order, S.CANCELLED, reason=REASON_PAYMENT_REFUSED)
    order.payment_problem = problem
    order.save(update_fields=["payment_problem", "updated_at"])
    after_commit(refund_payment.delay, str(payment.pk))
    events.order_updated(order)
    _tell(order, Kind.ORDER_REFUNDED, f"Order {order.number}: {REASON_PAYMENT_REFUSED}")
    return f"refused: {problem}, refund queued"


def expire_unpaid_order(*, order_id: Id) -> str:
    if end_unpaid_order(order_id=order_id, status=S.EXPIRED, reason=REASON_EXPIRED):
        return "expired"
    return "ignored: not unpaid"
