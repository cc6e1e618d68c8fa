"""The catalogue: products (slug, price, category, stock on hand) and their images.
Staff write it, through the API and the admin alike."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from core.exceptions import invalid
from core.media import media_setting, process_image

from .. import error_codes, stock
from ..models import Category, Product, ProductImage, Stock


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
