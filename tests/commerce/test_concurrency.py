"""Races with real parallel database connections: the last units of a product
bought by many buyers at once, and two checkouts of one cart at once.

200 checkouts run as 200 threads, at most CONNECTIONS of them holding a
database connection at the same moment (PostgreSQL's 100 connections are
shared by the whole test machine): each waits on the others' stock row lock.
"""

import os
import threading
from collections import Counter

import pytest
from django.db import connection

from commerce.models import CartItem, Order, OrderStatus, Reservation
from commerce.services import cart as cart_services
from commerce.services import checkout as checkout_services
from core.exceptions import Conflict
from tests.commerce.conftest import add_to_cart, make_product, stock_of
from tests.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.requires_postgres]

BUYERS = int(os.environ.get("SHOP_RACE_BUYERS", "200"))
CONNECTIONS = int(os.environ.get("SHOP_RACE_CONNECTIONS", "40"))


def run_many(jobs, *, at_once: int) -> list:
    """Every job on its own thread and connection, released together; at most
    `at_once` connections open at a time. Each job's outcome: its value or the
    exception it raised."""
    gate = threading.Semaphore(at_once)
    start = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(index, job):
        start.wait()
        with gate:
            try:
                outcomes[index] = job()
            except Exception as exc:  # counted by the test
                outcomes[index] = exc
            finally:
                connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_the_last_ten_units_go_to_exactly_ten_buyers(fake_stripe):
    product = make_product("Last mugs", stock=10)
    buyers = [make_user() for _ in range(BUYERS)]
    for buyer in buyers:
        add_to_cart(buyer, product, 1)

    outcomes = run_many(
        [lambda buyer=buyer: checkout_services.checkout(user=buyer) for buyer in buyers],
        at_once=CONNECTIONS,
    )

    kinds = Counter(type(o).__name__ if isinstance(o, Exception) else "ordered" for o in outcomes)
    assert kinds == {"ordered": 10, "Conflict": BUYERS - 10}, kinds
    assert {o.code for o in outcomes if isinstance(o, Conflict)} == {"out_of_stock"}
    stock = stock_of(product)
    assert (stock.on_hand, stock.reserved) == (10, 10)
    assert Order.objects.filter(status=OrderStatus.PENDING_PAYMENT).count() == 10
    assert Order.objects.count() == 10  # a refused checkout leaves no order behind
    assert sum(Reservation.objects.values_list("quantity", flat=True)) == 10
    assert len(fake_stripe.sessions) == 10


def test_many_products_in_opposite_orders_never_deadlock(fake_stripe):
    """Carts holding the same products, added in opposite orders: the locks are
    taken by product id, so none waits on another in a cycle."""
    products = [make_product(stock=100) for _ in range(5)]
    buyers = [make_user() for _ in range(20)]
    for n, buyer in enumerate(buyers):
        for product in products if n % 2 else reversed(products):
            add_to_cart(buyer, product, 1)
    outcomes = run_many(
        [lambda buyer=buyer: checkout_services.checkout(user=buyer) for buyer in buyers], at_once=20
    )
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert {stock_of(p).reserved for p in products} == {20}


def test_one_cart_checked_out_twice_at_once_is_one_order(fake_stripe):
    buyer = make_user()
    product = make_product(stock=5)
    add_to_cart(buyer, product, 2)
    outcomes = run_many([lambda: checkout_services.checkout(user=buyer)] * 2, at_once=2)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert {o.order.pk for o in outcomes} == {Order.objects.get().pk}
    assert stock_of(product).reserved == 2
    # Both may have asked Stripe, under the order's key: one session.
    creates = fake_stripe.requested("POST", "/v1/checkout/sessions")
    assert len({r["idempotency_key"] for r in creates}) == 1
    assert len(fake_stripe.sessions) == 1
    assert {o.order.stripe_session_id for o in outcomes} == set(fake_stripe.sessions)


def test_parallel_adds_to_a_new_cart_make_one_cart_line(buyer):
    product = make_product(stock=50)
    outcomes = run_many(
        [lambda: cart_services.add_to_cart(user=buyer, product_id=product.pk, quantity=1)] * 8,
        at_once=8,
    )
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    lines = list(CartItem.objects.filter(cart__user=buyer))
    assert len(lines) == 1, (lines, outcomes)
    (line,) = lines
    assert line.quantity == 8
