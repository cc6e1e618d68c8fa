"""The buyer's cart: lines added, changed and removed, each checked against the
product's stock (available units, not what unpaid orders hold) and the shop's
bounds (SHOP_MAX_QUANTITY of a product, SHOP_MAX_CART_LINES products). The
cart row is locked for the change, as checkout locks it."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import error_codes as core_codes
from core.exceptions import Conflict, invalid
from core.types import Id
from users.models import User

from .. import error_codes, selectors, stock
from ..models import Cart, CartItem, Product, Stock


def max_quantity() -> int:
    return int(settings.SHOP_MAX_QUANTITY)


def check_quantity(*, quantity: object) -> int:
    """The quantity of one product a line (or an order's line) may hold, else 400."""
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
    check_quantity(quantity=quantity)
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
    check_quantity(quantity=quantity)
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
