"""Shop reads: the catalogue, a user's cart and orders, as rows the read models
render (`commerce.read_models`), and the permission-checked fetchers every view
and service uses (`NotFound`, never telling whether the object exists)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, QuerySet, Subquery

from core import error_codes as core_codes
from core.exceptions import NotFound
from core.types import parse_uuid

from .models import Cart, CartItem, Category, Order, OrderItem, Product, ProductImage
from .read_models import (
    CART_ITEM_COLUMNS,
    IMAGE_COLUMNS,
    ORDER_COLUMNS,
    ORDER_ITEM_COLUMNS,
    PRODUCT_COLUMNS,
)

# `ordering` query values -> keyset orderings (the last field unique).
PRODUCT_ORDERINGS = {
    "newest": ("-created_at", "-id"),
    "price": ("price", "id"),
    "-price": ("-price", "-id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
}


def can_manage_catalogue(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("commerce.change_product"))


def can_manage_orders(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("commerce.change_order"))


# --- catalogue ----------------------------------------------------------------------


def visible_products(*, viewer) -> QuerySet[Product]:
    """Active products to everyone; inactive ones too to catalogue staff."""
    products = Product.objects.all()
    if not can_manage_catalogue(viewer):
        products = products.filter(is_active=True)
    return products


def catalogue(
    *,
    viewer,
    category: str | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    q: str | None = None,
) -> QuerySet[Product]:
    """The list's products, filtered: `category` (a slug; categories are flat, so
    exactly that category's products), price bounds (inclusive),
    `q` (in the name or description)."""
    products = Product.objects.filter(is_active=True)
    if category:
        products = products.filter(category__slug=category)
    if min_price is not None:
        products = products.filter(price__gte=min_price)
    if max_price is not None:
        products = products.filter(price__lte=max_price)
    if q:
        products = products.filter(Q(name__icontains=q) | Q(description__icontains=q))
    return products


def categories() -> list[dict]:
    """Every category (flat: a category has no children), by name: `CategorySerializer` rows."""
    return list(Category.objects.order_by("name", "id").values("id", "name", "slug"))


def _attach(rows: list[dict], *, name: str, children: QuerySet, parent: str, columns) -> list[dict]:
    """Each row with its children (`children` of the rows' ids, in that
    queryset's order) as `row[name]`: one query for a whole page."""
    if not rows:
        return rows
    by_parent: dict = {row["id"]: [] for row in rows}
    for child in children.filter(**{f"{parent}__in": list(by_parent)}).values(*columns):
        by_parent[child[parent]].append(child)
    for row in rows:
        row[name] = by_parent[row["id"]]
    return rows


def with_images(rows: list[dict]) -> list[dict]:
    """Each product row with its `images`, in their order."""
    images = ProductImage.objects.order_by("product_id", "position", "created_at")
    return _attach(rows, name="images", children=images, parent="product_id", columns=IMAGE_COLUMNS)


def product_rows(products: QuerySet[Product]) -> list[dict]:
    return with_images(list(products.values(*PRODUCT_COLUMNS)))


def fetch_product(*, viewer, product_id) -> Product:
    """The product if `viewer` may see it, else `NotFound`."""
    pk = parse_uuid(product_id)
    product = visible_products(viewer=viewer).filter(pk=pk).first() if pk else None
    if product is None:
        raise NotFound(core_codes.NOT_FOUND, "No such product.")
    return product


def fetch_product_row(*, viewer, product_id) -> dict:
    pk = parse_uuid(product_id)
    rows = product_rows(visible_products(viewer=viewer).filter(pk=pk)) if pk else []
    if not rows:
        raise NotFound(core_codes.NOT_FOUND, "No such product.")
    return rows[0]


# --- cart ------------------------------------------------------------------------------


def cart_of(user) -> Cart | None:
    return Cart.objects.filter(user=user).first()


def cart_item_rows(*, cart_id) -> list[dict]:
    first_image = ProductImage.objects.filter(product_id=OuterRef("product_id")).order_by(
        "position", "created_at"
    )
    items = (
        CartItem.objects.filter(cart_id=cart_id)
        .annotate(first_image=Subquery(first_image.values("file")[:1]))
        .order_by("added_at", "id")
    )
    return list(items.values(*CART_ITEM_COLUMNS))


def fetch_cart_item(*, user, item_id) -> CartItem:
    """One of `user`'s own cart lines, else `NotFound` (another user's included)."""
    pk = parse_uuid(item_id)
    item = CartItem.objects.filter(pk=pk, cart__user=user).first() if pk else None
    if item is None:
        raise NotFound(core_codes.NOT_FOUND, "No such cart item.")
    return item


# --- orders ---------------------------------------------------------------------------


def orders_of(*, user) -> QuerySet[Order]:
    return Order.objects.filter(user=user)


def visible_orders(*, viewer) -> QuerySet[Order]:
    """The viewer's own orders; every order to order staff."""
    if can_manage_orders(viewer):
        return Order.objects.all()
    return Order.objects.filter(user=viewer)


def with_items(rows: list[dict]) -> list[dict]:
    """Each order row with its `items`."""
    items = OrderItem.objects.order_by("order_id", "product_name", "id")
    return _attach(
        rows, name="items", children=items, parent="order_id", columns=ORDER_ITEM_COLUMNS
    )


def order_rows(orders: QuerySet[Order]) -> list[dict]:
    return with_items(list(orders.values(*ORDER_COLUMNS)))


def fetch_order(*, viewer, order_id) -> Order:
    """An order the viewer may see (`visible_orders`), else `NotFound`."""
    pk = parse_uuid(order_id)
    order = visible_orders(viewer=viewer).filter(pk=pk).first() if pk else None
    if order is None:
        raise NotFound(core_codes.NOT_FOUND, "No such order.")
    return order


def order_row(*, order_id) -> dict | None:
    rows = order_rows(Order.objects.filter(pk=order_id))
    return rows[0] if rows else None


def lock_order(order_id) -> Order:
    """The order row, locked until the caller's transaction ends (the first lock
    every order change takes, before any stock row)."""
    try:
        return Order.objects.select_for_update(of=("self",)).get(pk=order_id)
    except (Order.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(core_codes.NOT_FOUND, "No such order.") from exc
