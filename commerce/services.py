"""Shop writes, one function per use case: the catalogue, the cart, checkout,
orders (cancel, fulfil, refund), Stripe's webhooks and the reconciliation of
checkouts whose webhook never came.

Locks, always in this order: the cart row (checkout), the order row, then
stock rows by product id (`commerce.stock`). Nothing talks to Stripe while a
transaction is open: checkout reserves and commits, asks Stripe, then either
stores the session or releases the stock at once. Events, notifications and
emails leave on commit.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, Q
from django.utils import timezone
from django.utils.text import slugify

from core import error_codes as core_codes
from core.exceptions import Conflict, NotFound, invalid
from core.media import media_setting, process_image
from core.prepared import PreparedQuery
from core.transactions import after_commit
from core.types import Id
from notifications.models import Kind
from notifications.services import Target, notify
from users.models import User

from . import error_codes, events, payments, selectors, stock, writes
from .models import (
    Cart,
    CartItem,
    Category,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentProblem,
    PaymentStatus,
    Product,
    ProductImage,
    Reservation,
    Stock,
    WebhookEvent,
)
from .orders import transition
from .payments import PaymentProviderUnavailable, PaymentsNotConfigured

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


def max_quantity() -> int:
    return int(settings.SHOP_MAX_QUANTITY)


def _check_quantity(quantity: object) -> int:
    limit = max_quantity()
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= limit:
        raise invalid(
            "quantity",
            f"Quantity must be a whole number from 1 to {limit}.",
            error_codes.INVALID_QUANTITY,
        )
    return quantity


def product_unavailable(*, product: Product) -> Conflict:
    """A line of the buyer's cart whose product went off sale: named by id only
    (its name may have changed since, and is not the public's any more)."""
    return Conflict(
        error_codes.PRODUCT_UNAVAILABLE, f"A product in the cart ({product.pk}) is not for sale."
    )


def _no_such_product() -> Exception:
    return invalid("product_id", "No such product.", core_codes.DOES_NOT_EXIST)


# --- catalogue ------------------------------------------------------------------------------


def _category(slug: str | None) -> Category | None:
    if not slug:
        return None
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise invalid("category", f"No category “{slug}”.", error_codes.UNKNOWN_CATEGORY)
    return category


def _check_price(price: Decimal) -> Decimal:
    if price is None or price <= 0:
        raise invalid("price", "A price must be more than zero.", error_codes.INVALID_PRICE)
    return price


def _free_slug(base: str) -> str:
    base = (base or "product")[:180]
    slug, n = base, 1
    while Product.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check_slug(slug: str, *, product: Product | None = None) -> str:
    taken = Product.objects.filter(slug=slug)
    if product is not None:
        taken = taken.exclude(pk=product.pk)
    if taken.exists():
        raise invalid("slug", f"Another product has the slug “{slug}”.", error_codes.SLUG_TAKEN)
    return slug


@transaction.atomic
def create_product(
    *,
    name: str,
    price: Decimal,
    description: str = "",
    slug: str | None = None,
    category: str | None = None,
    stock_on_hand: int = 0,
    is_active: bool = True,
) -> Product:
    product = Product(
        name=name,
        slug=_check_slug(slug) if slug else _free_slug(slugify(name)),
        description=description or "",
        price=_check_price(price),
        category=_category(category),
        is_active=is_active,
    )
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:  # a parallel create took the slug
        raise invalid("slug", "Another product has this slug.", error_codes.SLUG_TAKEN) from exc
    Stock.objects.create(product=product, on_hand=stock_on_hand)
    return product


@transaction.atomic
def update_product(*, product: Product, fields: dict) -> Product:
    """Change the named fields; `stock` sets the units on hand, never below what
    unpaid orders hold (400 `invalid_quantity` then)."""
    changed = ["updated_at"]
    for name in ("name", "description", "is_active"):
        if name in fields:
            setattr(product, name, fields[name] if name != "description" else fields[name] or "")
            changed.append(name)
    if "price" in fields:
        product.price = _check_price(fields["price"])
        changed.append("price")
    if "slug" in fields:
        product.slug = _check_slug(fields["slug"], product=product)
        changed.append("slug")
    if "category" in fields:
        product.category = _category(fields["category"])
        changed.append("category")
    product.save(update_fields=changed)
    if "stock" in fields:
        set_stock(product=product, on_hand=fields["stock"])
    return product


def set_stock(*, product: Product, on_hand: int) -> Stock:
    with transaction.atomic():
        rows = stock.lock([product.pk])
        row = rows.get(product.pk) or Stock.objects.create(product=product)
        if on_hand < row.reserved:
            raise invalid(
                "stock",
                f"{row.reserved} units are held by unpaid orders; stock cannot go below that.",
                error_codes.INVALID_QUANTITY,
            )
        row.on_hand = on_hand
        row.save(update_fields=["on_hand"])
        return row


@transaction.atomic
def remove_product(*, product: Product) -> None:
    """Take the product off sale. The row stays: orders and carts name it."""
    product.is_active = False
    product.save(update_fields=["is_active", "updated_at"])


def add_product_image(*, product: Product, upload: UploadedFile) -> ProductImage:
    image = process_image(upload, max_side=media_setting("POST_IMAGE_MAX_SIDE"))
    item = ProductImage(
        product=product,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
    )
    item.file.save(image.file.name, image.file, save=False)
    try:
        with transaction.atomic():
            item.position = ProductImage.objects.filter(product=product).count()
            item.save()
    except BaseException:
        item.file.delete(save=False)
        raise
    return item


# --- cart -------------------------------------------------------------------------------------


def _locked_cart(user: User) -> Cart:
    """The user's cart, created if need be, locked until the transaction ends."""
    cart = Cart.objects.select_for_update().filter(user=user).first()
    if cart is not None:
        return cart
    try:
        with transaction.atomic():
            Cart.objects.create(user=user)
    except IntegrityError:  # made by a parallel request
        pass
    return Cart.objects.select_for_update().get(user=user)


def _check_available(product: Product, quantity: int) -> None:
    if not product.is_active:
        raise product_unavailable(product=product)
    row = Stock.objects.filter(pk=product.pk).first()
    available = row.available if row is not None else 0
    if quantity > available:
        raise stock.out_of_stock(product, quantity, available)


@transaction.atomic
def add_to_cart(*, user: User, product_id: Id, quantity: int) -> CartItem:
    """Add `quantity` of the product, or as many more to its line."""
    _check_quantity(quantity)
    product = Product.objects.filter(pk=product_id).first()
    if product is None or not product.is_active:
        # An inactive product is answered as one that does not exist: the
        # public catalogue does not show it, a cart does not reveal it.
        raise _no_such_product()
    cart = _locked_cart(user)
    item = CartItem.objects.filter(cart=cart, product=product).first()
    if item is None:
        if CartItem.objects.filter(cart=cart).count() >= int(settings.SHOP_MAX_CART_LINES):
            raise invalid(
                "product_id",
                f"A cart holds at most {settings.SHOP_MAX_CART_LINES} products.",
                error_codes.TOO_MANY_ITEMS,
            )
        item = CartItem(cart=cart, product=product, quantity=0)
    total = item.quantity + quantity
    if total > max_quantity():
        raise invalid(
            "quantity",
            f"At most {max_quantity()} of one product; {item.quantity} already in the cart.",
            error_codes.INVALID_QUANTITY,
        )
    _check_available(product, total)
    item.quantity = total
    item.save()
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return item


@transaction.atomic
def set_cart_quantity(*, user: User, item_id: Id, quantity: int) -> CartItem:
    _check_quantity(quantity)
    _locked_cart(user)
    item = selectors.fetch_cart_item(user=user, item_id=item_id)
    _check_available(item.product, quantity)
    item.quantity = quantity
    item.save(update_fields=["quantity"])
    return item


@transaction.atomic
def remove_from_cart(*, user: User, item_id: Id) -> None:
    _locked_cart(user)
    selectors.fetch_cart_item(user=user, item_id=item_id).delete()


# --- checkout ---------------------------------------------------------------------------------


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
            _check_quantity(line["quantity"])
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
        _end_unpaid(order.pk, S.CANCELLED, REASON_PROVIDER_DOWN, tell=False)
        raise
    order.stripe_session_id = session.id
    order.checkout_url = session.url
    # Not stored: released meanwhile by a parallel request whose Stripe call failed.
    if not writes.store_session(order, if_status=S.PENDING_PAYMENT):
        raise PaymentProviderUnavailable()
    return result


def _release_reservations(order: Order) -> None:
    stock.release(writes.take_reservations(order))


def _end_unpaid(order_id: Id, status: str, reason: str, *, tell: bool = True) -> bool:
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


# --- orders -----------------------------------------------------------------------------------


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
    if not _end_unpaid(order.pk, S.CANCELLED, REASON_CANCELLED):
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
        outcome = _paid(order.pk, session)
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
            _mark_refunded(order, REASON_REFUNDED)
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.REFUNDED, stripe_refund_id=refund_id, updated_at=timezone.now()
        )
    return order


def _payment_of(order: Order) -> Payment | None:
    return Payment.objects.filter(order=order).order_by("-created_at").first()


def _mark_refunded(order: Order, reason: str) -> None:
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


# --- payments: what Stripe tells ---------------------------------------------------------------


def _order_id_of(session: dict) -> uuid.UUID | None:
    metadata = session.get("metadata") or {}
    return selectors.parse_uuid(metadata.get("order_id") or session.get("client_reference_id"))


def _amount_problem(order: Order, session: payments.CheckoutSession) -> str:
    """Why this session's payment cannot pay this order ("" if it can)."""
    if session.amount_total is None:
        return PaymentProblem.NO_AMOUNT
    expected = payments.minor_units(order.total, order.currency)
    if session.amount_total != expected or (session.currency or "").lower() != order.currency:
        return PaymentProblem.WRONG_AMOUNT
    return ""


def _paid(order_id: Id, session: payments.CheckoutSession) -> str:
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
        after_commit(_queue_refund, payment.pk)
        events.order_updated(order)
        _tell(order, Kind.ORDER_REFUNDED, f"Order {order.number}: {REASON_LATE_REFUNDED}")
        return "refunded: paid late, out of stock"
    bought = {product_id for product_id, _ in lines}
    CartItem.objects.filter(cart__user_id=order.user_id, product_id__in=bought).delete()
    events.order_updated(order)
    _tell(order, Kind.ORDER_PAID, f"Order {order.number}: {order.total} {order.currency.upper()}.")
    after_commit(_queue_receipt, order.pk)
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
    after_commit(_queue_refund, payment.pk)
    events.order_updated(order)
    _tell(order, Kind.ORDER_REFUNDED, f"Order {order.number}: {REASON_PAYMENT_REFUSED}")
    return f"refused: {problem}, refund queued"


def _queue_refund(payment_id: Id) -> None:
    from .tasks import refund_payment

    refund_payment.delay(str(payment_id))


def _queue_receipt(order_id: Id) -> None:
    from .tasks import send_receipt

    send_receipt.delay(str(order_id))


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


def _expired(order_id: Id) -> str:
    if _end_unpaid(order_id, S.EXPIRED, REASON_EXPIRED):
        return "expired"
    return "ignored: not unpaid"


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
    _mark_refunded(order, REASON_REFUNDED)
    return "refunded"


def _dispatch(event: Mapping[str, Any]) -> str:
    obj = event["data"]["object"]
    kind = event["type"]
    if kind == "charge.refunded":
        return _charge_refunded(obj)
    if not kind.startswith("checkout.session."):
        return "ignored: event type"
    order_id = _order_id_of(obj)
    if order_id is None:
        return "ignored: unknown order"
    session = payments._session(obj)
    try:  # the order is looked up by the lock each of these takes first
        if kind == "checkout.session.completed":
            if session.payment_status not in ("paid", "no_payment_required"):
                return "waiting: asynchronous payment"
            return _paid(order_id, session)
        if kind == "checkout.session.async_payment_succeeded":
            return _paid(order_id, session)
        if kind in ("checkout.session.expired", "checkout.session.async_payment_failed"):
            return _expired(order_id)
    except NotFound:
        return "ignored: unknown order"
    return "ignored: event type"


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


# --- reconciliation ---------------------------------------------------------------------------


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
                return _paid(order.pk, session)
        return "waiting: asynchronous payment"
    return _expired(order.pk)


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


# --- receipt ----------------------------------------------------------------------------------


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
