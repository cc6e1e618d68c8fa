"""A buyer's path through the real server: cart, checkout (daphne asking the
fake Stripe through the real `stripe` package), Stripe's signed webhook, and
the order paid, live on the socket and over REST."""

import json
import urllib.request
from decimal import Decimal

import pytest

from commerce.services.catalogue import create_product
from tests.commerce.fake_stripe import FakeStripe
from tests.e2e.test_journey import call, frame, open_socket, register

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]


def deliver_webhook(base: str, fake: FakeStripe, event: dict) -> dict:
    """`event` delivered to the server as Stripe delivers it, signed; its answer."""
    body, signature = fake.signed(event)
    request = urllib.request.Request(
        f"{base}/api/v1/payments/webhook/",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def pay_and_post_webhook(base: str, fake: FakeStripe, session_id: str) -> dict:
    """Pays the session at the fake Stripe and posts Stripe's signed webhook."""
    paid = fake.pay(session_id)
    return deliver_webhook(base, fake, fake.event("checkout.session.completed", paid))


def test_cart_checkout_webhook_and_the_order_paid_live(shop_server, fake_stripe):
    base = shop_server
    product = create_product(name="Camp mug", price=Decimal("14.50"), stock_on_hand=3)
    buyer = register(base, "buyer@example.com")
    token = buyer["access"]

    status, products = call(base, "GET", "/api/v1/products/")
    assert status == 200 and products["products"][0]["price"] == "14.50"
    status, cart = call(
        base, "POST", "/api/cart/items/", {"product_id": str(product.pk), "quantity": 2}, token
    )
    assert status == 201 and cart["subtotal"] == "29.00", cart
    status, session = call(base, "POST", "/api/v1/checkout/session/", token=token)
    assert status == 201, session
    assert session["session_id"] in fake_stripe.sessions

    with open_socket(base, token) as ws:
        outcome = pay_and_post_webhook(base, fake_stripe, session["session_id"])
        assert outcome == {"received": True, "outcome": "paid"}
        frames = [frame(ws), frame(ws)]
        updated = next(f for f in frames if f["type"] == "commerce.order.updated")
        assert updated["data"]["id"] == session["order_id"]
        assert updated["data"]["status"] == "paid"

    status, order = call(base, "GET", f"/api/v1/orders/{session['order_id']}/", token=token)
    assert status == 200 and order == updated["data"]
    status, cart = call(base, "GET", "/api/v1/cart/", token=token)
    assert cart["items"] == []
