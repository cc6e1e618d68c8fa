"""Orders: the owner's history, cancel, and the staff's fulfil and refund;
others' orders are 404, staff routes 403 to members."""

from datetime import timedelta

import pytest
from django.utils import timezone

from commerce.models import Order, OrderStatus, Payment, PaymentStatus, Reservation
from commerce.orders import ALLOWED, transition
from commerce.services.orders import cancel_order
from commerce.services.reconciliation import reconcile_checkouts
from core.exceptions import Conflict
from tests.commerce.conftest import add_to_cart, checkout, make_product, post_webhook, stock_of
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def unpaid(buyer, fake_stripe):
    product = make_product("Mug", price="10.00", stock=5)
    add_to_cart(buyer, product, 2)
    return Order.objects.get(pk=checkout(buyer)["order_id"]), product


@pytest.fixture
def paid(unpaid, fake_stripe):
    order, product = unpaid
    session = fake_stripe.pay(order.stripe_session_id)
    post_webhook(fake_stripe, fake_stripe.event("checkout.session.completed", session))
    order.refresh_from_db()
    return order, product


def test_others_orders_are_404(api, unpaid, other):
    order, product = unpaid
    client = api(other)
    assert client.get(f"/api/v1/orders/{order.pk}/").status_code == 404
    assert client.post(f"/api/v1/orders/{order.pk}/cancel/").status_code == 404
    assert client.get("/api/v1/orders/").json()["orders"] == []
    assert client.get("/api/v1/orders/not-a-uuid/").status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT and stock_of(product).reserved == 2


def test_staff_routes_are_refused_to_members_and_the_owner(api, paid, buyer, other):
    order, _ = paid
    for user, expected in ((None, 401), (buyer, 403), (other, 403)):
        assert api(user).post(f"/api/v1/orders/{order.pk}/refund/").status_code == expected
        assert api(user).post(f"/api/v1/orders/{order.pk}/fulfil/").status_code == expected
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_orders_list_newest_first_in_pages(api, buyer, fake_stripe, django_assert_max_num_queries):
    product = make_product(stock=10)
    ids = []
    for _ in range(3):
        add_to_cart(buyer, product, 1)
        ids.append(checkout(buyer)["order_id"])
        cancel_order(user=buyer, order_id=ids[-1])
    client = api(buyer)
    with django_assert_max_num_queries(3):
        first = client.get("/api/v1/orders/", {"page_size": 2}).json()
    assert [o["id"] for o in first["orders"]] == ids[::-1][:2]
    second = client.get(first["next_page"]).json()
    assert [o["id"] for o in second["orders"]] == ids[:1]
    assert first["orders"][0]["status"] == "cancelled"
    assert first["orders"][0]["checkout_url"] is None


def test_cancel_releases_the_stock_and_expires_the_session(api, unpaid, buyer, fake_stripe):
    order, product = unpaid
    response = api(buyer).post(f"/api/v1/orders/{order.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert stock_of(product).reserved == 0 and not Reservation.objects.exists()
    assert fake_stripe.sessions[order.stripe_session_id]["status"] == "expired"
    again = api(buyer).post(f"/api/v1/orders/{order.pk}/cancel/")
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "order_not_cancellable"


def test_a_paid_order_cannot_be_cancelled(api, paid, buyer):
    order, product = paid
    response = api(buyer).post(f"/api/v1/orders/{order.pk}/cancel/")
    assert response.status_code == 409
    assert stock_of(product).on_hand == 3


def test_a_session_paid_at_stripe_before_its_webhook_cannot_be_cancelled(
    api, unpaid, buyer, fake_stripe
):
    order, product = unpaid
    fake_stripe.pay(order.stripe_session_id)
    response = api(buyer).post(f"/api/v1/orders/{order.pk}/cancel/")
    assert response.status_code == 409
    # Settled there and then, as its webhook would: paid, the reservation sold.
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert (stock_of(product).on_hand, stock_of(product).reserved) == (3, 0)


def test_cancel_with_stripe_down_still_cancels(api, unpaid, buyer, fake_stripe):
    order, product = unpaid
    fake_stripe.script("/v1/checkout/sessions/", (500, {"error": {"type": "api_error"}}))
    response = api(buyer).post(f"/api/v1/orders/{order.pk}/cancel/")
    assert response.status_code == 200 and stock_of(product).reserved == 0


def test_fulfil_and_refund_refuse_orders_not_paid(api, unpaid, staff):
    order, _ = unpaid
    fulfil = api(staff).post(f"/api/v1/orders/{order.pk}/fulfil/")
    assert fulfil.status_code == 409
    assert fulfil.json()["errors"][0]["code"] == "order_not_fulfillable"
    refund = api(staff).post(f"/api/v1/orders/{order.pk}/refund/")
    assert refund.status_code == 409
    assert refund.json()["errors"][0]["code"] == "order_not_refundable"


def test_a_refund_stripe_refuses_is_a_503_and_changes_nothing(api, paid, staff, fake_stripe):
    order, product = paid
    fake_stripe.script("/v1/refunds", (402, {"error": {"type": "card_error", "message": "no"}}))
    response = api(staff).post(f"/api/v1/orders/{order.pk}/refund/")
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "payment_provider_unavailable"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and stock_of(product).on_hand == 3
    # Asked again, once Stripe answers: refunded, stock back (it had not shipped).
    assert api(staff).post(f"/api/v1/orders/{order.pk}/refund/").json()["status"] == "refunded"
    assert stock_of(product).on_hand == 5
    assert Payment.objects.get(order=order).status == PaymentStatus.REFUNDED
    keys = {r["idempotency_key"] for r in fake_stripe.requested("POST", "/v1/refunds")}
    assert keys == {f"refund-{order.pk}"}


def test_staff_see_any_order(api, paid, staff):
    order, _ = paid
    assert api(staff).get(f"/api/v1/orders/{order.pk}/").json()["status"] == "paid"


def test_every_status_change_goes_through_one_function_that_refuses_the_others(buyer):
    order = Order.objects.create(
        user=buyer, currency="eur", subtotal=1, total=1, expires_at=timezone.now()
    )
    statuses = list(OrderStatus.values)
    assert set(ALLOWED) == set(statuses)
    for start in statuses:
        for target in statuses:
            Order.objects.filter(pk=order.pk).update(status=start)
            order.refresh_from_db()
            if target in ALLOWED[start]:
                transition(order, target)
                order.refresh_from_db()
                assert order.status == target
            else:
                with pytest.raises(Conflict) as refused:
                    transition(order, target)
                assert refused.value.code == "invalid_transition"
                order.refresh_from_db()
                assert order.status == start
    assert ALLOWED[OrderStatus.REFUNDED] == frozenset()
    assert OrderStatus.PENDING_PAYMENT not in {t for ts in ALLOWED.values() for t in ts}


def test_reconciliation_settles_orders_whose_webhook_never_came(buyer, fake_stripe):
    product = make_product(stock=10)
    orders = []
    for someone in [buyer] + [make_user() for _ in range(3)]:
        add_to_cart(someone, product, 1)
        orders.append(Order.objects.get(pk=checkout(someone)["order_id"]))
    open_one, paid_one, async_one, dark_one = orders
    fake_stripe.pay(paid_one.stripe_session_id)
    fake_stripe.pay(async_one.stripe_session_id, payment_status="unpaid")
    fake_stripe.sessions.pop(dark_one.stripe_session_id)  # Stripe answers 404 for it
    Order.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    fresh = make_user()
    add_to_cart(fresh, product, 1)
    not_due = Order.objects.get(pk=checkout(fresh)["order_id"])

    outcomes = reconcile_checkouts()

    assert outcomes == {"expired": 2, "paid": 1, "waiting: asynchronous payment": 1}
    status = {o.pk: o.status for o in Order.objects.all()}
    assert status[open_one.pk] == OrderStatus.EXPIRED
    assert fake_stripe.sessions[open_one.stripe_session_id]["status"] == "expired"
    assert status[paid_one.pk] == OrderStatus.PAID
    assert status[async_one.pk] == OrderStatus.PENDING_PAYMENT
    assert status[dark_one.pk] == OrderStatus.EXPIRED
    assert status[not_due.pk] == OrderStatus.PENDING_PAYMENT
    stock = stock_of(product)
    assert (stock.on_hand, stock.reserved) == (9, 2)  # one sold, two still held


def test_reconciliation_with_stripe_down_releases_the_stock_anyway(buyer, fake_stripe):
    product = make_product(stock=3)
    add_to_cart(buyer, product, 3)
    order = Order.objects.get(pk=checkout(buyer)["order_id"])
    Order.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    fake_stripe.script("/v1/checkout/sessions/", (503, {"error": {"type": "api_error"}}))
    assert reconcile_checkouts() == {"expired": 1}
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED and stock_of(product).reserved == 0


def test_reconciliation_retries_refunds_owed(buyer, fake_stripe):
    product = make_product(stock=1)
    add_to_cart(buyer, product, 1)
    order = Order.objects.get(pk=checkout(buyer)["order_id"])
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.REFUNDED)
    payment = Payment.objects.create(
        order=order,
        stripe_session_id=order.stripe_session_id,
        stripe_payment_intent_id="pi_owed",
        amount=order.total,
        currency="eur",
        status=PaymentStatus.REFUND_PENDING,
    )
    reconcile_checkouts()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.stripe_refund_id.startswith("re_")
