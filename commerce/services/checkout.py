"""Checkout: the buyer's cart as an unpaid order, its stock reserved for
CHECKOUT_RESERVATION_MINUTES, and a Stripe Checkout Session expiring with the
reservation.

Locks, always in this order: the cart row, then stock rows by product id
(`commerce.stock`). Nothing talks to Stripe while a transaction is open:
checkout reserves and commits, asks Stripe, then either stores the session or
releases the stock at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists
from django.utils import timezone

from core.exceptions import Conflict, invalid
from core.prepared import PreparedQuery
from users.models import User

from .. import error_codes, payments, stock, writes
from ..models import Cart, CartItem, Order, OrderItem, OrderStatus, Product, Reservation
from ..payments import PaymentProviderUnavailable, PaymentsNotConfigured
from .cart import check_quantity, product_unavailable
from .orders import REASON_PROVIDER_DOWN, end_unpaid_order

S = OrderStatus


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    created: bool


def _reservation_expiry() -> datetime:
    return timezone.now() + timedelta(minutes=int(settings.CHECKOUT_RESERVATION_MINUTES))


def _same_lines(order: Order, lines: list[dict]) -> bool:
    ordered = sorted(
        (str(i.product_id), i.quantity, i.unit_price) for i in order.items.all() if i.product_id
    )
    wanted = sorted(
        (str(line["product_id"]), line["quantity"], line["product__price"]) for line in lines
    )
    return ordered == wanted


def _unpaid_order_for(user: User, lines: list[dict]) -> Order | None:
    """The user's unpaid order for exactly this cart, open for a while yet: a
    checkout asked twice answers it again (its session asked of Stripe again
    under the order's Idempotency-Key if the first request has not stored it
    yet, which answers the same session)."""
    soon = timezone.now() + timedelta(minutes=5)
    candidates = Order.objects.filter(user=user, status=S.PENDING_PAYMENT, expires_at__gt=soon)
    for order in candidates.prefetch_related("items")[:3]:
        if _same_lines(order, lines):
            return order
    return None


# The checkout's reads, compiled once (core.prepared): the cart's lock, then (a
# statement of its own, so it sees every line committed before the lock was
# granted) its lines priced from the database, with whether the buyer has an
# unpaid order (only then are those orders read: the same cart's, and what they
# hold against the buyer's bounds).
_locked_cart_id = PreparedQuery(
    lambda shape, p: Cart.objects.select_for_update().filter(user=p["user"]).values("id"),
    params={"user": "uuid"},
)
_cart_lines = PreparedQuery(
    lambda shape, p: (
        CartItem.objects.filter(cart=p["cart"])
        .order_by("product_id")
        .values(
            "product_id",
            "quantity",
            "product__name",
            "product__price",
            "product__is_active",
            unpaid=Exists(Order.objects.filter(user=p["user"], status=S.PENDING_PAYMENT)),
        )
    ),
    params={"cart": "uuid", "user": "uuid"},
)


def _check_buyer_bounds(user: User, lines: list[dict], *, has_unpaid: bool) -> None:
    """409 if this order would make the buyer hold more than one buyer may:
    SHOP_MAX_UNPAID_ORDERS_PER_BUYER unpaid orders, or more units of a product
    than SHOP_MAX_RESERVED_UNITS_PER_PRODUCT_PER_BUYER across them. Exact under
    concurrency: a buyer's checkouts wait for each other on the cart's lock,
    taken before this reads the unpaid orders (read only if there are some)."""
    orders, held = set(), {}
    if has_unpaid:
        held_rows = Reservation.objects.filter(
            order__user=user, order__status=S.PENDING_PAYMENT
        ).values_list("order_id", "product_id", "quantity")
        for order_id, product_id, quantity in held_rows:
            orders.add(order_id)
            held[product_id] = held.get(product_id, 0) + quantity
    most_orders = int(settings.SHOP_MAX_UNPAID_ORDERS_PER_BUYER)
    if len(orders) >= most_orders:
        raise Conflict(
            error_codes.TOO_MANY_UNPAID_ORDERS,
            f"You have {len(orders)} unpaid orders, the most one buyer may have open; "
            "pay or cancel one first.",
        )
    most_units = int(settings.SHOP_MAX_RESERVED_UNITS_PER_PRODUCT_PER_BUYER)
    for line in lines:
        already = held.get(line["product_id"], 0)
        if already + line["quantity"] > most_units:
            raise Conflict(
                error_codes.RESERVATION_LIMIT,
                f"Your unpaid orders would hold {already + line['quantity']} of "
                f"“{line['product__name']}”; one buyer may hold at most {most_units}. "
                "Pay or cancel an unpaid order first.",
            )


def _reserve_order(*, user: User) -> tuple[CheckoutResult, list[OrderItem]]:
    """In one transaction: the cart's lines priced from the database, stock
    reserved (rows locked in product-id order), the order, its items and its
    reservations (`commerce.writes`: one statement on PostgreSQL). Answers the
    order's items too, so the caller reads none back."""
    with transaction.atomic():
        cart = _locked_cart_id.run(None, user=user.pk)
        lines = _cart_lines.run(None, cart=cart[0]["id"], user=user.pk) if cart else []
        if not lines:
            raise invalid("cart", "The cart is empty.", error_codes.CART_EMPTY)
        if lines[0]["unpaid"]:
            existing = _unpaid_order_for(user, lines)
            if existing is not None:
                return CheckoutResult(existing, created=False), list(existing.items.all())
        _check_buyer_bounds(user, lines, has_unpaid=lines[0]["unpaid"])
        products = {
            line["product_id"]: Product(id=line["product_id"], name=line["product__name"])
            for line in lines
        }
        for line in lines:
            if not line["product__is_active"]:
                raise product_unavailable(product=products[line["product_id"]])
            check_quantity(quantity=line["quantity"])
        stock.reserve(((line["product_id"], line["quantity"]) for line in lines), products=products)
        subtotal = sum((line["product__price"] * line["quantity"] for line in lines), Decimal("0"))
        expires_at = _reservation_expiry()
        order = Order(
            user=user,
            currency=settings.SHOP_CURRENCY,
            subtotal=subtotal,
            total=subtotal,
            expires_at=expires_at,
        )
        order_items = [
            OrderItem(
                order=order,
                product_id=line["product_id"],
                product_name=line["product__name"],
                unit_price=line["product__price"],
                quantity=line["quantity"],
                line_total=line["product__price"] * line["quantity"],
            )
            for line in lines
        ]
        reservations = [
            Reservation(
                order=order,
                product_id=line["product_id"],
                quantity=line["quantity"],
                expires_at=expires_at,
            )
            for line in lines
        ]
        writes.insert_order(order, order_items, reservations)
        return CheckoutResult(order, created=True), order_items


def _success_url(order: Order) -> str:
    # Stripe fills in {CHECKOUT_SESSION_ID}; the order's id is ours to fill.
    return settings.CHECKOUT_SUCCESS_URL.replace("{ORDER_ID}", str(order.pk))


def checkout(*, user: User) -> CheckoutResult:
    """The cart as an unpaid order with its stock reserved and a Stripe Checkout
    Session expiring with the reservation. Stripe unavailable: 503, and the
    order and its stock are released before answering."""
    if not payments.configured():
        # A client's own mistake first: an empty cart is theirs to fix, wherever.
        if not CartItem.objects.filter(cart__user=user).exists():
            raise invalid("cart", "The cart is empty.", error_codes.CART_EMPTY)
        raise PaymentsNotConfigured()
    result, items = _reserve_order(user=user)
    order = result.order
    if order.stripe_session_id:
        return result
    try:
        session = payments.create_checkout_session(
            order_id=str(order.pk),
            order_number=order.number,
            email=user.email,
            currency=order.currency,
            lines=[
                payments.CheckoutLine(
                    name=item.product_name,
                    unit_amount=payments.minor_units(item.unit_price, order.currency),
                    quantity=item.quantity,
                )
                for item in items
            ],
            expires_at=int(order.expires_at.timestamp()),
            success_url=_success_url(order),
            cancel_url=settings.CHECKOUT_CANCEL_URL,
        )
    except BaseException:
        # Stripe unavailable (a 503) or anything else: nothing holds the stock.
        end_unpaid_order(
            order_id=order.pk, status=S.CANCELLED, reason=REASON_PROVIDER_DOWN, tell=False
        )
        raise
    order.stripe_session_id = session.id
    order.checkout_url = session.url
    # Not stored: released meanwhile by a parallel request whose Stripe call failed.
    if not writes.store_session(order, if_status=S.PENDING_PAYMENT):
        raise PaymentProviderUnavailable()
    return result
