"""Stock moves, always under row locks taken in one order (product id), so two
checkouts sharing products wait for each other instead of deadlocking, and the
counts can never go negative (the database's check constraints say so too).

- `reserve(lines)`: unpaid order -> `reserved += q` (checkout);
- `release(reservations)`: `reserved -= q` (expired, cancelled, Stripe down);
- `sell(reservations)`: `reserved -= q, on_hand -= q` (paid);
- `take(lines)`: `on_hand -= q` without a reservation (a payment after expiry);
- `put_back(lines)`: `on_hand += q` (a refund of an order not shipped).

`lines` are `(product_id, quantity)` pairs. Each function runs inside the
caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import F

from core.exceptions import Conflict

from . import error_codes, writes
from .models import Product, Stock

Lines = Iterable[tuple]


def _merged(lines: Lines) -> dict:
    merged: dict = defaultdict(int)
    for product_id, quantity in lines:
        merged[product_id] += int(quantity)
    return dict(sorted(merged.items(), key=lambda item: str(item[0])))


def lock(product_ids) -> dict:
    """The stock rows of `product_ids`, locked in product-id order, by product id."""
    rows = (
        Stock.objects.select_for_update(of=("self",))
        .filter(product_id__in=list(product_ids))
        .order_by("product_id")
    )
    return {row.product_id: row for row in rows}


def out_of_stock(product: Product | None, wanted: int, available: int) -> Conflict:
    name = product.name if product is not None else "This product"
    left = max(available, 0)
    product_id = product.pk if product is not None else "?"
    return Conflict(
        error_codes.OUT_OF_STOCK,
        f"“{name}” (product {product_id}): {wanted} wanted, {left} available.",
    )


def _apply(product_id, **changes) -> None:
    Stock.objects.filter(pk=product_id).update(
        **{name: F(name) + delta for name, delta in changes.items()}
    )


def reserve(lines: Lines, *, products: dict) -> None:
    """Hold the quantities for an unpaid order, all or none: 409 `out_of_stock`
    naming the first product short (the caller's transaction rolls back what
    was held before it).

    One statement per product, in product-id order: the UPDATE locks its row,
    and one waiting on a parallel checkout's lock re-checks the availability
    condition against the row as that checkout left it, so the check and the
    change are one step (a checkout's stock is one round trip per product)."""
    for product_id, quantity in _merged(lines).items():
        if not writes.reserve_stock(product_id, quantity):
            row = Stock.objects.filter(pk=product_id).first()
            available = row.available if row is not None else 0
            raise out_of_stock(products.get(product_id), quantity, available)


def release(lines: Lines) -> None:
    wanted = _merged(lines)
    lock(wanted)
    for product_id, quantity in wanted.items():
        _apply(product_id, reserved=-quantity)


def sell(lines: Lines) -> None:
    wanted = _merged(lines)
    lock(wanted)
    for product_id, quantity in wanted.items():
        _apply(product_id, reserved=-quantity, on_hand=-quantity)


def can_take(lines: Lines) -> bool:
    """Whether every quantity is available now (rows locked until the caller's
    transaction ends, so a `take` right after cannot fail)."""
    wanted = _merged(lines)
    rows = lock(wanted)
    return all(
        product_id in rows and rows[product_id].available >= quantity
        for product_id, quantity in wanted.items()
    )


def take(lines: Lines) -> None:
    wanted = _merged(lines)
    lock(wanted)
    for product_id, quantity in wanted.items():
        _apply(product_id, on_hand=-quantity)


def put_back(lines: Lines) -> None:
    wanted = _merged(lines)
    lock(wanted)
    for product_id, quantity in wanted.items():
        _apply(product_id, on_hand=quantity)
