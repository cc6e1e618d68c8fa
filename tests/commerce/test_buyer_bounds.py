"""What one buyer's unpaid orders may hold: at most
SHOP_MAX_UNPAID_ORDERS_PER_BUYER orders, and at most
SHOP_MAX_RESERVED_UNITS_PER_PRODUCT_PER_BUYER units of a product across them;
refused with 409 and a stable code, exactly, with the buyer's checkouts running
in parallel on real connections."""

from collections import Counter

import pytest
from django.db.models import Sum

from commerce.models import CartItem, Order, OrderStatus, Reservation
from commerce.services import cart as cart_services
from commerce.services import checkout as checkout_services
from core.exceptions import Conflict
from tests.clients import client_for
from tests.commerce.conftest import add_to_cart, checkout, make_product, stock_of
from tests.commerce.test_concurrency import run_many
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/checkout/session/"


def set_cart(user, product, quantity):
    item = CartItem.objects.filter(cart__user=user, product=product).first()
    if item is None:
        cart_services.add_to_cart(user=user, product_id=product.pk, quantity=quantity)
    else:
        cart_services.set_cart_quantity(user=user, item_id=item.pk, quantity=quantity)


def test_three_carts_cannot_hold_a_products_whole_stock(fake_stripe, buyer):
    """The issue's case: carts of 1, 2 and 3 of a 6-unit product were 3 x 201
    and everyone else 409."""
    lamp = make_product("Lamp", stock=6)
    for quantity in (1, 2):
        set_cart(buyer, lamp, quantity)
        assert client_for(buyer).post(URL).status_code == 201
    set_cart(buyer, lamp, 3)
    third = client_for(buyer).post(URL)
    assert third.status_code == 409, third.json()
    error = third.json()["errors"][0]
    assert error["code"] == "too_many_unpaid_orders"
    assert "2 unpaid orders" in error["detail"]
    assert (stock_of(lamp).reserved, Order.objects.filter(user=buyer).count()) == (3, 2)

    rival = make_user()
    add_to_cart(rival, lamp, 3)
    assert client_for(rival).post(URL).status_code == 201

    # One cancelled: the buyer may check out again.
    first = Order.objects.filter(user=buyer).order_by("created_at").first()
    assert client_for(buyer).post(f"/api/v1/orders/{first.pk}/cancel/").status_code == 200
    assert client_for(buyer).post(URL).status_code == 409  # 3 wanted, 0 left: out of stock
    set_cart(buyer, lamp, 1)
    assert client_for(buyer).post(URL).status_code == 201


def test_the_units_of_a_product_across_unpaid_orders_are_bounded(fake_stripe, buyer, settings):
    settings.SHOP_MAX_UNPAID_ORDERS_PER_BUYER = 5
    settings.SHOP_MAX_RESERVED_UNITS_PER_PRODUCT_PER_BUYER = 3
    lamp, cup = make_product("Lamp", stock=20), make_product("Cup", stock=20)
    set_cart(buyer, lamp, 2)
    checkout(buyer)
    add_to_cart(buyer, cup, 1)  # another cart: 2 more lamps and a cup
    refused = client_for(buyer).post(URL)
    assert refused.status_code == 409
    error = refused.json()["errors"][0]
    assert error["code"] == "reservation_limit" and "at most 3" in error["detail"]
    set_cart(buyer, lamp, 1)
    set_cart(buyer, cup, 4)
    over = client_for(buyer).post(URL)  # 4 cups in one order: over the bound too
    assert over.status_code == 409 and over.json()["errors"][0]["code"] == "reservation_limit"
    set_cart(buyer, cup, 3)
    assert client_for(buyer).post(URL).status_code == 201
    assert stock_of(lamp).reserved == 3 and stock_of(cup).reserved == 3


def test_another_buyer_is_not_bounded_by_the_first(fake_stripe, buyer, other):
    lamp = make_product(stock=10)
    for quantity in (1, 2):
        set_cart(buyer, lamp, quantity)
        checkout(buyer)
    add_to_cart(other, lamp, 1)
    assert client_for(other).post(URL).status_code == 201


def _held(user) -> dict:
    rows = (
        Reservation.objects.filter(order__user=user, order__status=OrderStatus.PENDING_PAYMENT)
        .values("product_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["product_id"]: row["units"] for row in rows}


def _racing_checkouts(buyer, products, rounds=3):
    """One thread per product, all of the same buyer: each adds its product and
    checks out, `rounds` times, all at once. Each checkout's outcome."""

    def job(product):
        def run():
            outcomes = []
            for _ in range(rounds):
                add_to_cart(buyer, product, 1)
                try:
                    outcomes.append(
                        "created" if checkout_services.checkout(user=buyer).created else "same"
                    )
                except Conflict as exc:
                    outcomes.append(exc.code)
            return outcomes

        return run

    results = run_many([job(product) for product in products], at_once=len(products))
    for result in results:
        assert isinstance(result, list), result
    return Counter(outcome for result in results for outcome in result)


@pytest.mark.requires_postgres
def test_parallel_checkouts_of_one_buyer_open_exactly_the_bound_of_orders(fake_stripe, buyer):
    products = [make_product(stock=100) for _ in range(8)]
    outcomes = _racing_checkouts(buyer, products)
    # Every round changes the cart, so far more than two different carts were
    # checked out: exactly two became orders, the later ones were refused.
    assert outcomes["created"] == 2, outcomes
    assert outcomes["too_many_unpaid_orders"] >= 1, outcomes
    assert set(outcomes) <= {"created", "same", "too_many_unpaid_orders"}, outcomes
    assert Order.objects.filter(user=buyer, status=OrderStatus.PENDING_PAYMENT).count() == 2
    held = _held(buyer)
    for product in products:
        assert stock_of(product).reserved == held.get(product.pk, 0)


@pytest.mark.requires_postgres
def test_parallel_checkouts_of_one_buyer_hold_at_most_the_bound_of_units(
    fake_stripe, buyer, settings
):
    """Four threads of one buyer each add a lamp and check out, twice: the
    cart's 1, 2, ... 8 lamps are each a new order until the buyer's unpaid
    orders hold 6 (1 + 2 + 3 would, 1 + 2 + 3 + 4 may not)."""
    settings.SHOP_MAX_UNPAID_ORDERS_PER_BUYER = 100
    settings.SHOP_MAX_RESERVED_UNITS_PER_PRODUCT_PER_BUYER = 6
    lamp = make_product("Lamp", stock=100)
    outcomes = _racing_checkouts(buyer, [lamp] * 4, rounds=2)
    assert outcomes["reservation_limit"] >= 1, outcomes
    assert set(outcomes) <= {"created", "same", "reservation_limit"}, outcomes
    held = _held(buyer)
    assert 1 <= held[lamp.pk] <= 6, held
    assert stock_of(lamp).reserved == held[lamp.pk]
