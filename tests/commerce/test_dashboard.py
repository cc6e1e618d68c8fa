"""The shop on the staff dashboard: orders and revenue on the day they were paid,
refunded and unpaid orders left out, and the best sellers of the range."""

from datetime import timedelta

import pytest
from django.utils import timezone

from commerce.models import Order, OrderStatus
from commerce.services.orders import refund_order
from staff import dashboard
from tests.commerce.conftest import add_to_cart, checkout, make_product, post_webhook
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def pay(fake, user) -> Order:
    order = Order.objects.get(pk=checkout(user)["order_id"])
    session = fake.pay(order.stripe_session_id)
    post_webhook(fake, fake.event("checkout.session.completed", session))
    order.refresh_from_db()
    return order


def series(body, key):
    found = next(s for s in body["series"] if s["key"] == key)
    return {p["date"]: p["value"] for p in found["points"]}, found["total"]


def test_orders_revenue_and_top_products(fake_stripe, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    mug = make_product("Mug", price="10.00", stock=20)
    poster = make_product("Poster", price="4.50", stock=20)
    alice, bob, carol = make_user(), make_user(), make_user()
    add_to_cart(alice, mug, 3)
    today_order = pay(fake_stripe, alice)
    add_to_cart(bob, poster, 2)
    earlier_order = pay(fake_stripe, bob)
    Order.objects.filter(pk=earlier_order.pk).update(paid_at=timezone.now() - timedelta(days=2))
    add_to_cart(carol, mug, 1)
    checkout(carol)  # unpaid: not an order on the dashboard

    body = dashboard.figures(7)

    today = timezone.localdate().isoformat()
    two_ago = (timezone.localdate() - timedelta(days=2)).isoformat()
    orders, total = series(body, "orders")
    assert orders[today] == 1 and orders[two_ago] == 1 and total == 2
    revenue, total = series(body, "revenue")
    assert revenue[today] == str(today_order.total) == "30.00"
    assert revenue[two_ago] == "9.00" and total == "39.00"
    top = next(t for t in body["tables"] if t["key"] == "top_products")["rows"]
    assert [(row["name"], row["units"], row["revenue"]) for row in top] == [
        ("Mug", 3, "30.00"),
        ("Poster", 2, "9.00"),
    ]


def test_a_refunded_order_leaves_the_figures(fake_stripe, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    mug = make_product("Mug", price="10.00", stock=5)
    buyer = make_user()
    add_to_cart(buyer, mug, 1)
    order = pay(fake_stripe, buyer)
    refund_order(order_id=order.pk)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    body = dashboard.figures(7)

    assert series(body, "orders")[1] == 0
    assert series(body, "revenue")[1] == 0
    assert next(t for t in body["tables"] if t["key"] == "top_products")["rows"] == []


def test_refunding_an_order_of_a_settled_day_takes_it_out_of_the_rollup(fake_stripe, settings):
    """The day's orders and revenue were rolled up; the refund, weeks later, forgets
    that day (after its transaction commits) and the next view counts it again."""
    from staff.models import DashboardDay

    settings.DASHBOARD_CACHE_SECONDS = 0
    mug = make_product("Mug", price="10.00", stock=5)
    buyer = make_user()
    add_to_cart(buyer, mug, 2)
    order = pay(fake_stripe, buyer)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=3))
    day = (timezone.localdate() - timedelta(days=3)).isoformat()
    body = dashboard.figures(7)
    assert series(body, "orders")[0][day] == 1 and series(body, "revenue")[0][day] == "20.00"
    assert DashboardDay.objects.filter(key="revenue", day=day, value="20.00").exists()

    refund_order(order_id=order.pk)

    assert not DashboardDay.objects.filter(key="revenue", day=day).exists()
    body = dashboard.figures(7)
    assert series(body, "orders")[0][day] == 0 and series(body, "revenue")[0][day] == 0
    assert series(body, "revenue")[1] == 0
