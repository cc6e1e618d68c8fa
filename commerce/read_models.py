"""Products, carts and orders as the API shows them: each declared once
(`core.read_model`) and rendered from `.values()` rows by the selectors'
entry points (`commerce.selectors`). REST lists, details, write responses and
the `commerce.order.updated` event all render these. `serializers.py` keeps the
output serializers for the schema; a test holds them to these fields
(`core.read_model.serializer_drift`).

Prices and totals are decimal strings (`"12.50"`), the currency an upper-case
ISO code; both come from the database only.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from core.media import storage_url_builder
from core.read_model import ReadModel, column, field

from .models import OrderStatus, ProductImage


class Context:
    """Built once per request: the image URL builder for its origin, the time zone."""

    def __init__(self, request=None) -> None:
        self.image_url = storage_url_builder(ProductImage._meta.get_field("file").storage, request)
        self.zone = timezone.get_current_timezone()


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def currency_code(value: str | None = None) -> str:
    return (value or settings.SHOP_CURRENCY).upper()


def iso_8601(value, zone) -> str | None:
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _time(name: str):
    return field(name, columns=(name,), render=lambda row, ctx: iso_8601(row[name], ctx.zone))


def _in_stock(row, _ctx) -> bool:
    on_hand, reserved = row["stock__on_hand"], row["stock__reserved"]
    return on_hand is not None and on_hand - (reserved or 0) > 0


def _category(row, _ctx) -> dict | None:
    if row["category_id"] is None:
        return None
    return {
        "id": str(row["category_id"]),
        "name": row["category__name"],
        "slug": row["category__slug"],
    }


def image(item: dict, ctx: Context) -> dict:
    return {
        "id": str(item["id"]),
        "url": ctx.image_url(item["file"]),
        "width": item["width"],
        "height": item["height"],
    }


def _images(row, ctx: Context) -> list[dict]:
    # Filled in by the selector (one query for a page's images).
    return [image(item, ctx) for item in row["images"]]


IMAGE_COLUMNS = ("id", "product_id", "file", "width", "height")

PRODUCT = ReadModel(
    "product",
    [
        column("id", render=str),
        column("name"),
        column("slug"),
        column("description"),
        column("price", render=money),
        field("currency", columns=(), render=lambda row, ctx: currency_code()),
        field("images", columns=("images",), render=_images),
        field(
            "category",
            columns=("category_id", "category__name", "category__slug"),
            render=_category,
        ),
        field("in_stock", columns=("stock__on_hand", "stock__reserved"), render=_in_stock),
        column("is_active"),
        _time("created_at"),
    ],
    context=Context,
)

# Columns read from the database (`images` is added by the selector).
PRODUCT_COLUMNS = tuple(c for c in PRODUCT.columns if c != "images")


# --- the cart ---------------------------------------------------------------------


def _cart_product(row, ctx: Context) -> dict:
    first = row["first_image"]
    return {
        "id": str(row["product_id"]),
        "name": row["product__name"],
        "slug": row["product__slug"],
        "price": money(row["product__price"]),
        "image_url": ctx.image_url(first) if first else None,
        "is_active": row["product__is_active"],
        "in_stock": _in_stock(
            {
                "stock__on_hand": row["product__stock__on_hand"],
                "stock__reserved": row["product__stock__reserved"],
            },
            ctx,
        ),
    }


def line_total(row, _ctx) -> str:
    return money(row["product__price"] * row["quantity"])


CART_ITEM = ReadModel(
    "cart_item",
    [
        column("id", render=str),
        field(
            "product",
            columns=(
                "product_id",
                "product__name",
                "product__slug",
                "product__price",
                "product__is_active",
                "product__stock__on_hand",
                "product__stock__reserved",
                "first_image",
            ),
            render=_cart_product,
        ),
        column("quantity"),
        column("unit_price", "product__price", render=money),
        field("line_total", columns=("product__price", "quantity"), render=line_total),
    ],
    context=Context,
)

CART_ITEM_COLUMNS = CART_ITEM.columns


def render_cart(*, cart_id, rows: list[dict], request=None) -> dict:
    """`{"id", "items", "subtotal", "currency"}`: prices as they are now."""
    items = CART_ITEM.renderer(request).many(rows)
    subtotal = sum((row["product__price"] * row["quantity"] for row in rows), Decimal("0"))
    return {
        "id": str(cart_id) if cart_id is not None else None,
        "items": items,
        "subtotal": money(subtotal),
        "currency": currency_code(),
    }


# --- orders -------------------------------------------------------------------------

ORDER_ITEM_COLUMNS = (
    "id",
    "order_id",
    "product_id",
    "product_name",
    "unit_price",
    "quantity",
    "line_total",
)


def order_item(item: dict) -> dict:
    return {
        "id": str(item["id"]),
        "product_id": None if item["product_id"] is None else str(item["product_id"]),
        "name": item["product_name"],
        "unit_price": money(item["unit_price"]),
        "quantity": item["quantity"],
        "line_total": money(item["line_total"]),
    }


def _order_items(row, _ctx) -> list[dict]:
    return [order_item(item) for item in row["items"]]


def _checkout_url(row, _ctx) -> str | None:
    # Only while it can still be paid.
    if row["status"] != OrderStatus.PENDING_PAYMENT:
        return None
    return row["checkout_url"] or None


ORDER = ReadModel(
    "order",
    [
        column("id", render=str),
        column("number"),
        column("status"),
        field("items", columns=("items",), render=_order_items),
        column("subtotal", render=money),
        column("total", render=money),
        column("currency", render=currency_code),
        field("checkout_url", columns=("status", "checkout_url"), render=_checkout_url),
        _time("expires_at"),
        _time("created_at"),
        _time("paid_at"),
        _time("fulfilled_at"),
        _time("cancelled_at"),
        _time("refunded_at"),
        column("status_reason"),
    ],
    context=Context,
)

ORDER_COLUMNS = tuple(c for c in ORDER.columns if c != "items")
