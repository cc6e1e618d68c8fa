"""The whole path: cart -> checkout (a real Checkout Session at the fake Stripe)
-> paid by webhook -> shipped -> refunded, with what the buyer is told."""

from decimal import Decimal

import pytest
from django.core import mail

from commerce.models import Order, OrderStatus, Payment, Reservation, WebhookEvent
from notifications.models import Notification
from tests.commerce.conftest import (
    add_to_cart,
    checkout,
    make_product,
    post_webhook,
    stock_of,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_cart_to_paid_to_shipped_to_refunded(api, buyer, staff, fake_stripe):
    mug = make_product("Camp mug", price="14.50", stock=5)
    pot = make_product("Coffee pot", price="32.00", stock=2)
    client = api(buyer)
    assert (
        client.post(
            "/api/v1/cart/items/", {"product_id": str(mug.pk), "quantity": 2, "price": "0.01"}
        ).status_code
        == 201
    )
    cart = client.post("/api/v1/cart/items/", {"product_id": str(pot.pk)}).json()
    assert cart["subtotal"] == "61.00" and cart["currency"] == "EUR"

    answer = client.post("/api/v1/checkout/session/", {"total": "1.00"})
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    order = Order.objects.get(pk=body["order_id"])
    assert body["order_number"] == order.number and order.number.startswith("SH-")
    assert order.status == OrderStatus.PENDING_PAYMENT and order.total == Decimal("61.00")
    assert stock_of(mug).reserved == 2 and stock_of(pot).reserved == 1

    # The session at Stripe: priced from the order in cents, the order named, the key the order's.
    (create,) = fake_stripe.requested("POST", "/v1/checkout/sessions")
    params = create["params"]
    assert create["idempotency_key"] == f"checkout-session-{order.pk}"
    assert params["mode"] == "payment"
    assert params["client_reference_id"] == str(order.pk)
    assert params["metadata"]["order_id"] == str(order.pk)
    assert int(params["expires_at"]) == int(order.expires_at.timestamp())
    assert sorted(
        (line["price_data"]["unit_amount"], line["quantity"]) for line in params["line_items"]
    ) == [
        ("1450", "2"),
        ("3200", "1"),
    ]
    assert body["session_id"] == order.stripe_session_id
    assert body["checkout_url"] == fake_stripe.sessions[order.stripe_session_id]["url"]

    # Paid.
    session = fake_stripe.pay(order.stripe_session_id)
    answer = post_webhook(fake_stripe, fake_stripe.event("checkout.session.completed", session))
    assert answer.status_code == 200 and answer.json() == {"received": True, "outcome": "paid"}
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_at is not None
    assert (stock_of(mug).on_hand, stock_of(mug).reserved) == (3, 0)
    assert (stock_of(pot).on_hand, stock_of(pot).reserved) == (1, 0)
    assert not Reservation.objects.filter(order=order).exists()
    assert client.get("/api/v1/cart/").json()["items"] == []
    payment = Payment.objects.get(order=order)
    assert payment.stripe_payment_intent_id == session["payment_intent"]
    assert Notification.objects.filter(recipient=buyer, kind="order_paid").count() == 1
    receipts = [m for m in mail.outbox if m.subject == f"Receipt for order {order.number}"]
    assert len(receipts) == 1 and "Total paid: 61.00 EUR" in receipts[0].body
    assert receipts[0].to == [buyer.email]

    detail = client.get(f"/api/v1/orders/{order.pk}/").json()
    assert detail["status"] == "paid" and detail["total"] == "61.00"
    assert {i["name"]: i["line_total"] for i in detail["items"]} == {
        "Camp mug": "29.00",
        "Coffee pot": "32.00",
    }
    listed = client.get("/api/orders/").json()
    assert [o["id"] for o in listed["orders"]] == [str(order.pk)]

    # Shipped, then refunded by staff at Stripe: stock not returned (it left).
    assert api(staff).post(f"/api/v1/orders/{order.pk}/fulfil/").json()["status"] == "fulfilled"
    refunded = api(staff).post(f"/api/v1/orders/{order.pk}/refund/")
    assert refunded.status_code == 200 and refunded.json()["status"] == "refunded"
    (refund,) = fake_stripe.requested("POST", "/v1/refunds")
    assert refund["params"]["payment_intent"] == session["payment_intent"]
    assert refund["idempotency_key"] == f"refund-{order.pk}"
    assert stock_of(mug).on_hand == 3
    assert Notification.objects.filter(recipient=buyer, kind="order_refunded").count() == 1

    # Stripe's charge.refunded that follows changes nothing more.
    event = fake_stripe.charge_refunded(session["payment_intent"], 6100)
    assert post_webhook(fake_stripe, event).json()["outcome"] == "already refunded"
    assert Notification.objects.filter(recipient=buyer, kind="order_refunded").count() == 1
    assert WebhookEvent.objects.count() == 2


def test_a_refund_from_stripe_returns_unshipped_stock(api, buyer, fake_stripe):
    mug = make_product(stock=3)
    add_to_cart(buyer, mug, 2)
    body = checkout(buyer)
    order = Order.objects.get(pk=body["order_id"])
    session = fake_stripe.pay(order.stripe_session_id)
    post_webhook(fake_stripe, fake_stripe.event("checkout.session.completed", session))
    assert stock_of(mug).on_hand == 1

    event = fake_stripe.charge_refunded(session["payment_intent"], 2000)
    assert post_webhook(fake_stripe, event).json()["outcome"] == "refunded"
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert (stock_of(mug).on_hand, stock_of(mug).reserved) == (3, 0)
    assert Notification.objects.filter(recipient=buyer, kind="order_refunded").count() == 1
