"""A payment that cannot pay its order (another amount or currency, no amount)
is refused: refunded at Stripe, the order cancelled with its stock released and
flagged for staff, the buyer told; whether Stripe's webhook or the
reconciliation finds it, as often as either sees it again. A session naming an
order it is not the session of changes nothing."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from commerce.models import Order, OrderStatus, Payment, PaymentStatus, WebhookEvent
from commerce.services.reconciliation import reconcile_checkouts
from notifications.models import Notification
from tests.clients import client_for
from tests.commerce.conftest import add_to_cart, checkout, make_product, post_webhook, stock_of
from tests.factories import make_user
from users.models import User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def unpaid(buyer, fake_stripe):
    """An unpaid order for 2 of a product with 2 in stock (20.00 EUR: 2000)."""
    product = make_product("Lamp", price="10.00", stock=2)
    add_to_cart(buyer, product, 2)
    return Order.objects.get(pk=checkout(buyer)["order_id"]), product


def paid_as(fake, order, **changes) -> dict:
    """The order's session paid at Stripe, with the session's fields changed."""
    fake.pay(order.stripe_session_id)
    fake.sessions[order.stripe_session_id].update(changes)
    return dict(fake.sessions[order.stripe_session_id])


def assert_refused(order, product, fake, problem: str, buyer) -> None:
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED, order.status
    assert order.payment_problem == problem
    assert "refunded" in order.status_reason
    stock = stock_of(product)
    assert (stock.on_hand, stock.reserved) == (2, 0)
    (payment,) = Payment.objects.filter(order=order)
    assert payment.status == PaymentStatus.REFUNDED and payment.stripe_refund_id
    (refund,) = fake.requested("POST", "/v1/refunds")
    assert refund["params"]["payment_intent"] == payment.stripe_payment_intent_id
    assert Notification.objects.filter(recipient=buyer, kind="order_refunded").count() == 1
    assert not Notification.objects.filter(recipient=buyer, kind="order_paid").exists()


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"amount_total": 1}, "wrong_amount"),
        ({"amount_total": 2001}, "wrong_amount"),
        ({"currency": "usd"}, "wrong_amount"),
        ({"amount_total": None}, "no_amount"),
    ],
    ids=["too little", "too much", "another currency", "no amount"],
)
def test_a_webhook_paying_what_the_order_is_not_is_refunded_and_the_stock_released(
    fake_stripe, unpaid, buyer, changes, problem
):
    order, product = unpaid
    session = paid_as(fake_stripe, order, **changes)
    event = fake_stripe.event("checkout.session.completed", session)
    outcome = post_webhook(fake_stripe, event).json()["outcome"]
    assert outcome == f"refused: {problem}, refund queued"
    assert_refused(order, product, fake_stripe, problem, buyer)

    # Replays: the same event, the same session in a new event, the other
    # success event, the reconciliation, the buyer's cancel: nothing more.
    assert post_webhook(fake_stripe, event).json()["outcome"] == "duplicate"
    again = fake_stripe.event("checkout.session.completed", session)
    assert post_webhook(fake_stripe, again).json()["outcome"] == "ignored: refused already"
    late = fake_stripe.event("checkout.session.async_payment_succeeded", session)
    assert post_webhook(fake_stripe, late).json()["outcome"] == "ignored: refused already"
    Order.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert reconcile_checkouts() == {}
    cancel = client_for(buyer).post(f"/api/v1/orders/{order.pk}/cancel/")
    assert cancel.status_code == 409
    assert_refused(order, product, fake_stripe, problem, buyer)

    # The units are anyone's again.
    rival = make_user()
    add_to_cart(rival, product, 2)
    assert checkout(rival)["order_id"]


def test_reconciliation_refuses_it_once_and_every_later_run_does_nothing(
    fake_stripe, unpaid, buyer
):
    """The webhook never came: the reconciliation found the session paid with
    another amount and ignored it on every run, the stock held for ever."""
    order, product = unpaid
    paid_as(fake_stripe, order, amount_total=1999)
    Order.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert reconcile_checkouts() == {"refused: wrong_amount, refund queued": 1}
    assert_refused(order, product, fake_stripe, "wrong_amount", buyer)
    for _ in range(3):
        assert reconcile_checkouts() == {}
    assert_refused(order, product, fake_stripe, "wrong_amount", buyer)
    # The webhook arriving after all: nothing more either.
    session = dict(fake_stripe.sessions[order.stripe_session_id])
    event = fake_stripe.event("checkout.session.completed", session)
    assert post_webhook(fake_stripe, event).json()["outcome"] == "ignored: refused already"
    assert_refused(order, product, fake_stripe, "wrong_amount", buyer)


@pytest.mark.on_commit_failures_expected  # the refund task, run in place, asks to retry
def test_a_refused_payment_whose_refund_stripe_refuses_is_retried_by_the_reconciliation(
    fake_stripe, unpaid, buyer
):
    order, product = unpaid
    session = paid_as(fake_stripe, order, amount_total=1)
    fake_stripe.script("/v1/refunds", (503, {"error": {"type": "api_error"}}))
    post_webhook(fake_stripe, fake_stripe.event("checkout.session.completed", session))
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and stock_of(product).reserved == 0
    assert Payment.objects.get(order=order).status == PaymentStatus.REFUND_PENDING
    reconcile_checkouts()
    assert Payment.objects.get(order=order).status == PaymentStatus.REFUNDED


def test_the_buyers_cancel_of_an_order_paid_with_another_amount_refunds_it(
    fake_stripe, unpaid, buyer
):
    """The cancel answered 409 "has been paid" while nothing was paid here."""
    order, product = unpaid
    paid_as(fake_stripe, order, amount_total=5)
    response = client_for(buyer).post(f"/api/v1/orders/{order.pk}/cancel/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "cancelled"
    assert_refused(order, product, fake_stripe, "wrong_amount", buyer)


def test_a_session_that_is_not_the_orders_own_changes_nothing(fake_stripe, unpaid, buyer, caplog):
    """Its metadata names the order, its id is another session's: ignored and
    logged, whatever it paid."""
    order, product = unpaid
    session = paid_as(fake_stripe, order)
    for other_id in ("cs_test_someone_else", ""):
        forged = {**session, "id": other_id or "cs_test_x", "payment_intent": "pi_other"}
        forged["client_reference_id"] = str(order.pk)
        event = fake_stripe.event("checkout.session.completed", forged)
        outcome = post_webhook(fake_stripe, event).json()["outcome"]
        assert outcome == "ignored: not the order's session"
        assert WebhookEvent.objects.get(stripe_event_id=event["id"]).outcome == outcome
    assert "is not" not in order.status_reason
    assert any("whose session is" in r.getMessage() for r in caplog.records)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT and not order.payment_problem
    assert stock_of(product).reserved == 2
    assert not Payment.objects.exists() and not fake_stripe.requested("POST", "/v1/refunds")
    # Its own session still pays it.
    own = fake_stripe.event("checkout.session.completed", session)
    assert post_webhook(fake_stripe, own).json()["outcome"] == "paid"


def test_the_admin_lists_orders_with_a_payment_problem(fake_stripe, unpaid, buyer):
    order, _ = unpaid
    session = paid_as(fake_stripe, order, amount_total=1)
    post_webhook(fake_stripe, fake_stripe.event("checkout.session.completed", session))
    admin = User.objects.create_superuser(email="shopadmin@example.com", password="pw-123456789")
    client = Client()
    client.force_login(admin)
    url = reverse("admin:commerce_order_changelist")
    page = client.get(url, {"payment_problem__exact": "wrong_amount"})
    assert page.status_code == 200 and order.number in page.content.decode()
    assert "Paid another amount" in page.content.decode()
    none = client.get(url, {"payment_problem__exact": "no_amount"})
    assert order.number not in none.content.decode()
