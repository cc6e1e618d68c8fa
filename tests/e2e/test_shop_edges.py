"""The shop's edges through the real server (issue 24 #4, #7, #12): daphne asking
the fake Stripe through the real `stripe` package, Stripe's signed webhooks, and
urllib as the buyer's client."""

from decimal import Decimal

import pytest

from commerce.models import Order, OrderStatus, Stock
from commerce.services.catalogue import create_product
from tests.e2e.test_journey import call, register
from tests.e2e.test_shop_journey import deliver_webhook

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]


def add(base, token, product, quantity):
    return call(
        base,
        "POST",
        "/api/v1/cart/items/",
        {"product_id": str(product.pk), "quantity": quantity},
        token,
    )


def test_a_payment_of_another_amount_is_refunded_and_frees_the_stock(fake_stripe, daphne_server):
    base = daphne_server
    mug = create_product(name="Camp mug", price=Decimal("14.50"), stock_on_hand=2)
    buyer = register(base, "buyer@example.com")["access"]
    assert add(base, buyer, mug, 2)[0] == 201
    status, session = call(base, "POST", "/api/v1/checkout/session/", token=buyer)
    assert status == 201, session

    paid = {**fake_stripe.pay(session["session_id"]), "amount_total": 100}
    event = fake_stripe.event("checkout.session.completed", paid)
    answer = deliver_webhook(base, fake_stripe, event)
    # Stripe retries what it does not see acknowledged; the replay changes nothing.
    assert deliver_webhook(base, fake_stripe, event)["outcome"] == "duplicate"

    assert answer["received"] is True
    order = Order.objects.get(pk=session["order_id"])
    assert order.status == OrderStatus.CANCELLED and order.payment_problem
    stock = Stock.objects.get(product=mug)
    assert (stock.on_hand, stock.reserved) == (2, 0)
    [refund] = fake_stripe.requested("POST", "/v1/refunds")
    assert refund["params"]["payment_intent"] == paid["payment_intent"]
    # Another buyer can have the units at once.
    other = register(base, "other@example.com")["access"]
    assert add(base, other, mug, 2)[0] == 201
    assert call(base, "POST", "/api/v1/checkout/session/", token=other)[0] == 201


def test_a_session_paid_with_no_amount_does_not_pay_the_order(fake_stripe, daphne_server):
    base = daphne_server
    mug = create_product(name="Camp mug", price=Decimal("14.50"), stock_on_hand=1)
    buyer = register(base, "buyer@example.com")["access"]
    assert add(base, buyer, mug, 1)[0] == 201
    session = call(base, "POST", "/api/v1/checkout/session/", token=buyer)[1]

    paid = {**fake_stripe.pay(session["session_id"]), "amount_total": None}
    deliver_webhook(base, fake_stripe, fake_stripe.event("checkout.session.completed", paid))

    assert Order.objects.get(pk=session["order_id"]).status != OrderStatus.PAID


def test_one_buyer_cannot_hold_the_whole_stock(fake_stripe, daphne_server):
    base = daphne_server
    mug = create_product(name="Camp mug", price=Decimal("14.50"), stock_on_hand=6)
    hoarder = register(base, "hoarder@example.com")["access"]
    answers = []
    for quantity in (1, 2, 3):
        # The cart stays until the order is paid: the hoarder changes its quantity.
        cart = call(base, "GET", "/api/v1/cart/", token=hoarder)[1]
        if cart["items"]:
            path = f"/api/v1/cart/items/{cart['items'][0]['id']}/"
            assert call(base, "PATCH", path, {"quantity": quantity}, hoarder)[0] == 200
        else:
            assert add(base, hoarder, mug, quantity)[0] == 201
        answers.append(call(base, "POST", "/api/v1/checkout/session/", token=hoarder))

    statuses = [status for status, _ in answers]
    assert statuses[:2] == [201, 201]
    assert statuses[2] == 409
    assert answers[2][1]["errors"][0]["code"] == "too_many_unpaid_orders"
    # What the hoarder does not hold, others can buy.
    other = register(base, "other@example.com")["access"]
    assert add(base, other, mug, 3)[0] == 201
    assert call(base, "POST", "/api/v1/checkout/session/", token=other)[0] == 201


def test_cart_input_is_strict_and_an_inactive_product_is_not_named(fake_stripe, daphne_server):
    base = daphne_server
    hidden = create_product(name="Secret prototype", price=Decimal("99.00"), stock_on_hand=5)
    hidden.is_active = False
    hidden.save()
    mug = create_product(name="Camp mug", price=Decimal("14.50"), stock_on_hand=5)
    buyer = register(base, "buyer@example.com")["access"]

    status, body = add(base, buyer, mug, "2")
    assert status == 400 and body["errors"][0]["code"] == "invalid_quantity", body
    status, body = add(base, buyer, hidden, 1)
    assert status == 400, body
    assert "Secret prototype" not in str(body)
