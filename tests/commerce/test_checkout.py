"""Checkout: the cart as an unpaid order, its stock reserved, and a Checkout
Session made by the real `stripe` package at the fake Stripe; every refusal
clear, and nothing held when Stripe fails."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from commerce import payments
from commerce.models import Order, OrderStatus, Reservation
from tests.commerce.conftest import add_to_cart, checkout, make_product, stock_of
from tests.concurrency import in_thread

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/checkout/session/"


def test_the_session_expires_with_the_reservation(api, buyer, fake_stripe, settings):
    settings.CHECKOUT_RESERVATION_MINUTES = 45
    settings.CHECKOUT_SUCCESS_URL = "https://shop.example/ok/{ORDER_ID}?s={CHECKOUT_SESSION_ID}"
    settings.CHECKOUT_CANCEL_URL = "https://shop.example/cart"
    mug = make_product(stock=3)
    add_to_cart(buyer, mug, 2)
    before = timezone.now()
    body = checkout(buyer)
    order = Order.objects.get(pk=body["order_id"])
    reservation = Reservation.objects.get(order=order)
    assert reservation.quantity == 2 and reservation.expires_at == order.expires_at
    assert order.expires_at - before >= timedelta(minutes=45)
    assert body["expires_at"] == order.expires_at.isoformat().replace("+00:00", "Z")
    session = fake_stripe.sessions[order.stripe_session_id]
    assert session["expires_at"] == int(order.expires_at.timestamp())
    assert session["success_url"] == f"https://shop.example/ok/{order.pk}?s={{CHECKOUT_SESSION_ID}}"
    assert session["cancel_url"] == "https://shop.example/cart"
    assert session["customer_email"] == buyer.email
    assert fake_stripe.requests[0]["authorization"] == "Bearer sk_test_fake"


def test_checkout_asked_again_answers_the_same_order_and_session(api, buyer, fake_stripe):
    mug = make_product(stock=3)
    add_to_cart(buyer, mug, 1)
    first = api(buyer).post(URL)
    again = api(buyer).post(URL)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert len(fake_stripe.requested("POST", "/v1/checkout/sessions")) == 1
    assert Order.objects.count() == 1 and stock_of(mug).reserved == 1


def test_a_retried_request_to_stripe_makes_no_second_session(api, buyer, fake_stripe, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    fake_stripe.script("/v1/checkout/sessions", (200, {}, 1.0))  # too slow, then fine
    mug = make_product(stock=3)
    add_to_cart(buyer, mug, 1)
    body = checkout(buyer)
    creates = fake_stripe.requested("POST", "/v1/checkout/sessions")
    assert len(creates) == 2
    assert {r["idempotency_key"] for r in creates} == {f"checkout-session-{body['order_id']}"}
    assert len(fake_stripe.sessions) == 1


def test_an_empty_cart_is_a_400(api, buyer, fake_stripe):
    response = api(buyer).post(URL)
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "cart_empty",
        "detail": "The cart is empty.",
        "attr": "cart",
    }
    assert not fake_stripe.requests


def test_without_a_stripe_key_the_cart_works_and_checkout_is_a_503(api, buyer, settings):
    settings.STRIPE_SECRET_KEY = ""
    mug = make_product(stock=3)
    assert api(buyer).post("/api/v1/cart/items/", {"product_id": str(mug.pk)}).status_code == 201
    response = api(buyer).post(URL)
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "payments_not_configured"
    assert not Order.objects.exists() and stock_of(mug).reserved == 0


def test_an_empty_cart_is_named_before_payments_not_configured(api, buyer, settings):
    settings.STRIPE_SECRET_KEY = ""
    response = api(buyer).post(URL)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "cart_empty"


def test_a_product_taken_off_sale_since_it_was_added_is_a_409(api, buyer, fake_stripe):
    mug = make_product("Mug", stock=3)
    add_to_cart(buyer, mug, 1)
    mug.is_active = False
    mug.save()
    response = api(buyer).post(URL)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "product_unavailable"
    assert not Order.objects.exists() and not fake_stripe.requests


def test_stock_gone_since_it_was_added_is_a_409_and_nothing_is_reserved(api, buyer, fake_stripe):
    mug = make_product("Mug", stock=5)
    pot = make_product("Pot", stock=5)
    add_to_cart(buyer, mug, 2)
    add_to_cart(buyer, pot, 3)
    stock = stock_of(pot)
    stock.on_hand = 2
    stock.save()
    response = api(buyer).post(URL)
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "out_of_stock" and "Pot" in error["detail"]
    assert stock_of(mug).reserved == 0 and stock_of(pot).reserved == 0
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "answer",
    [
        (500, {"error": {"type": "api_error", "message": "Stripe is down"}}),
        (401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}),
        (429, {"error": {"type": "invalid_request_error", "code": "rate_limit"}}),
        (200, {"id": "cs_never"}, 1.5),  # slower than STRIPE_TIMEOUT_SECONDS
    ],
    ids=["down", "refusing", "rate-limited", "slow"],
)
def test_stripe_failing_is_a_503_and_the_stock_is_released_at_once(
    api, buyer, fake_stripe, settings, answer
):
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    fake_stripe.script("/v1/checkout/sessions", answer)
    mug = make_product(stock=3)
    add_to_cart(buyer, mug, 2)
    response = api(buyer).post(URL)
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "payment_provider_unavailable"
    order = Order.objects.get()
    assert order.status == OrderStatus.CANCELLED and order.status_reason
    assert stock_of(mug).reserved == 0 and not Reservation.objects.exists()
    # The cart is intact: the buyer can try again.
    assert api(buyer).get("/api/v1/cart/").json()["items"][0]["quantity"] == 2
    assert api(buyer).post(URL).status_code == 201
    assert stock_of(mug).reserved == 2


def test_checkout_needs_a_signed_in_user(api):
    assert api().post(URL).status_code == 401


@pytest.mark.parametrize("lines", [1, 3])
def test_checkout_queries_grow_by_one_per_product(
    api, buyer, fake_stripe, django_assert_num_queries, lines
):
    for _ in range(lines):
        add_to_cart(buyer, make_product(stock=5), 2)
    client = api(buyer)
    # BEGIN; the cart's lock; its lines (with whether an unpaid order is open);
    # one conditional UPDATE per product; the order, its items and its
    # reservations (one statement on PostgreSQL, three elsewhere); COMMIT; then
    # (Stripe called with no transaction open) the session stored.
    writes = 1 if connection.vendor == "postgresql" else 3
    with django_assert_num_queries(5 + writes + lines):
        assert client.post(URL).status_code == 201
    # Asked again: the same order, read back with its items, no Stripe call.
    with django_assert_num_queries(6):
        assert client.post(URL).status_code == 200
    assert len(fake_stripe.requested("POST", "/v1/checkout/sessions")) == 1


def test_the_order_written_in_one_statement_reads_back_whole(api, buyer, fake_stripe, settings):
    settings.SHOP_CURRENCY = "eur"
    mug, cup = make_product("Mug", price="12.50", stock=5), make_product("Cup", price="3.00")
    add_to_cart(buyer, mug, 2)
    add_to_cart(buyer, cup, 1)
    before = timezone.now()
    body = checkout(buyer)
    order = Order.objects.get(pk=body["order_id"])
    assert order.number == body["order_number"] and order.number.startswith("SH-")
    assert (order.user_id, order.status, order.currency) == (buyer.pk, "pending_payment", "eur")
    assert order.subtotal == order.total == Decimal("28.00")
    assert before <= order.created_at <= order.updated_at and order.paid_at is None
    assert order.stripe_session_id == body["session_id"] and order.checkout_url
    items = sorted(
        (i.product_name, i.unit_price, i.quantity, i.line_total) for i in order.items.all()
    )
    assert items == [
        ("Cup", Decimal("3.00"), 1, Decimal("3.00")),
        ("Mug", Decimal("12.50"), 2, Decimal("25.00")),
    ]
    held = sorted((r.product_id, r.quantity, r.expires_at) for r in order.reservations.all())
    assert held == sorted([(mug.pk, 2, order.expires_at), (cup.pk, 1, order.expires_at)])
    assert (stock_of(mug).reserved, stock_of(cup).reserved) == (2, 1)


def test_a_cart_changed_after_an_unpaid_checkout_makes_a_new_order(api, buyer, fake_stripe):
    mug, cup = make_product(stock=5), make_product(stock=5)
    add_to_cart(buyer, mug, 1)
    first = checkout(buyer)
    add_to_cart(buyer, cup, 1)
    second = checkout(buyer)
    assert second["order_id"] != first["order_id"]
    assert Order.objects.filter(user=buyer, status=OrderStatus.PENDING_PAYMENT).count() == 2
    assert (stock_of(mug).reserved, stock_of(cup).reserved) == (2, 1)


def test_stripe_is_asked_with_no_transaction_open_and_no_row_locked(
    api, buyer, fake_stripe, monkeypatch
):
    mug = make_product(stock=3)
    add_to_cart(buyer, mug, 1)
    create = payments.create_checkout_session
    seen = {}

    def lock_every_row(order_id):
        with transaction.atomic(), connection.cursor() as cursor:
            for table, column, value in (
                ("commerce_cart", "user_id", buyer.pk),
                ("commerce_order", "id", order_id),
                ("commerce_stock", "product_id", mug.pk),
            ):
                sql = f"SELECT 1 FROM {table} WHERE {column} = %s FOR UPDATE NOWAIT"
                cursor.execute(sql, [value])
                assert cursor.fetchone() == (1,), table

    def while_stripe_is_asked(**kwargs):
        seen["in_transaction"] = connection.in_atomic_block
        if connection.vendor == "postgresql":  # NOWAIT: fails at once on a held lock
            thread, seen["locks"] = in_thread(lambda: lock_every_row(kwargs["order_id"]))
            thread.join(timeout=10)
        return create(**kwargs)

    monkeypatch.setattr(payments, "create_checkout_session", while_stripe_is_asked)
    checkout(buyer)
    assert seen["in_transaction"] is False
    if connection.vendor == "postgresql":
        assert seen["locks"] == {"value": None}


def _no_proxy_set(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


# Nothing listens on port 9 (discard) here: a request sent through this proxy fails.
DEAD_PROXY = "http://127.0.0.1:9"


def test_a_proxy_named_by_the_environment_is_used_for_stripe(api, buyer, fake_stripe, monkeypatch):
    _no_proxy_set(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", DEAD_PROXY)
    payments._client_for.cache_clear()  # made now, with the proxy in the environment
    mug = make_product(stock=3)
    add_to_cart(buyer, mug, 1)
    response = api(buyer).post(URL)
    assert response.status_code == 503, response.json()
    assert response.json()["errors"][0]["code"] == "payment_provider_unavailable"
    assert fake_stripe.requests == [] and stock_of(mug).reserved == 0
    payments._client_for.cache_clear()


def test_the_environment_is_read_once_not_on_every_stripe_request(buyer, fake_stripe, monkeypatch):
    _no_proxy_set(monkeypatch)
    payments._client_for.cache_clear()
    add_to_cart(buyer, make_product(stock=3), 1)
    checkout(buyer)  # the client made, with no proxy in the environment
    monkeypatch.setenv("HTTP_PROXY", DEAD_PROXY)
    add_to_cart(buyer, make_product(stock=3), 1)
    checkout(buyer)  # still straight to Stripe: the environment was not read again
    assert len(fake_stripe.requested("POST", "/v1/checkout/sessions")) == 2
    payments._client_for.cache_clear()


def test_ready_finds_the_fake_stripe_ready(client, fake_stripe):
    # The fake answers what /ready/ asks, so a demo or a test on it is not degraded.
    body = client.get("/ready/").json()

    assert body["optional"]["stripe"] == "ok"
    assert "stripe" not in body.get("degraded", [])
