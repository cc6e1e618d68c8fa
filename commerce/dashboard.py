"""The shop's figures on the staff dashboard (staff.dashboard): orders paid and
revenue per day, and the best-selling products of the range. An order counts on
the day it was paid, for as long as it stays sold (paid or fulfilled): a refund
takes it out."""

from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.db.models.signals import post_delete, post_save

from staff.dashboard import Window, daily_counts, forget, register_series, register_table

from .models import Order, OrderItem, OrderStatus

SOLD = (OrderStatus.PAID, OrderStatus.FULFILLED)
TOP_PRODUCTS = 10
# Who sees the shop's figures on the dashboard: those who read its orders.
SHOP_FIGURES = "commerce.view_order"
# Sums keep the columns' two decimals (SQLite's SUM drops trailing zeros).
CENTS = Decimal("0.01")


def _money(amount) -> Decimal:
    return Decimal(amount).quantize(CENTS)


def _sold_orders():
    return Order.objects.filter(status__in=SOLD)


def orders(window: Window) -> dict:
    return daily_counts(_sold_orders(), "paid_at", window)


def revenue(window: Window) -> dict:
    rows = (
        _sold_orders()
        .filter(paid_at__gte=window.start, paid_at__lt=window.end)
        .annotate(day=TruncDate("paid_at", tzinfo=window.tzinfo))
        .values("day")
        .annotate(amount=Sum("total"))
        .order_by()
    )
    return {row["day"]: _money(row["amount"]) for row in rows}


def top_products(window: Window) -> list[dict]:
    """By units sold in orders paid within the range."""
    rows = (
        OrderItem.objects.filter(
            order__status__in=SOLD,
            order__paid_at__gte=window.start,
            order__paid_at__lt=window.end,
        )
        .values("product_id", "product_name")
        .annotate(
            units=Sum("quantity"), revenue=Sum("line_total"), orders=Count("order", distinct=True)
        )
        .order_by("-units", "-revenue", "product_name")[:TOP_PRODUCTS]
    )
    return [
        {
            "id": str(row["product_id"]) if row["product_id"] else None,
            "name": row["product_name"],
            "units": row["units"],
            "orders": row["orders"],
            "revenue": str(_money(row["revenue"])),
        }
        for row in rows
    ]


def _forget_order(sender, instance, **kwargs):
    # Every status change saves the order: a refund of an order paid on a
    # settled day takes it out of that day.
    forget(("orders", "revenue"), instance.paid_at)


def register() -> None:
    register_series("orders", "Orders", orders, rollup=True, permission=SHOP_FIGURES)
    register_series(
        "revenue", "Revenue", revenue, unit="currency", rollup=True, permission=SHOP_FIGURES
    )
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(_forget_order, sender=Order, dispatch_uid=f"dashboard-order-{name}")
    register_table(
        "top_products",
        "Top products",
        ["id", "name", "units", "orders", "revenue"],
        top_products,
        permission=SHOP_FIGURES,
    )
