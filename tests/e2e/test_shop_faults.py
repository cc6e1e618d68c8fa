"""Daphne killed mid-checkout: two buyers' checkouts are inside the Checkout
Session call (the fake Stripe has made both sessions and holds its answers)
when the server is killed with SIGKILL. Afterwards no order is stuck and
nothing is paid twice: the buyer who retries on the restarted server gets the
same order and the same session (Stripe's Idempotency-Key is the order's),
pays once, and replays change nothing; the order of the buyer who walked away
is released by the reconciliation once its reservation lapses."""

import os
import signal
import threading
import urllib.error
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from commerce.models import Order, OrderStatus, Payment, Stock
from commerce.services.catalogue import create_product
from commerce.services.reconciliation import reconcile_checkouts
from tests.commerce.fake_stripe import SESSIONS, FakeStripe
from tests.e2e.conftest import running_daphne
from tests.e2e.test_journey import call, register
from tests.e2e.test_shop_journey import deliver_webhook

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]

CHECKOUT = "/api/v1/checkout/session/"


def server_pid(base: str) -> int:
    """The daphne this test started serving `base` (found by its command line)."""
    port = base.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"daphne" in argv and port.encode() in argv:
            return int(entry.name)
    raise AssertionError(f"no daphne on port {port}")


def webhook(base: str, fake: FakeStripe, event: dict) -> str:
    return deliver_webhook(base, fake, event)["outcome"]


def stock(product) -> tuple[int, int]:
    row = Stock.objects.get(pk=product.pk)
    return row.on_hand, row.reserved


def test_daphne_killed_mid_checkout_leaves_no_order_stuck_and_pays_once(
    transactional_db,
    collected_static,
    tmp_path,
    fake_stripe,  # started before the server, which reads its address
):
    lamp = create_product(name="Lamp", price=Decimal("20.00"), stock_on_hand=5)
    buyers = {}
    with running_daphne(collected_static, tmp_path, name="first") as base:
        for who in ("stays", "leaves"):
            token = register(base, f"{who}@example.com")["access"]
            status, _ = call(
                base, "POST", "/api/v1/cart/items/", {"product_id": str(lamp.pk)}, token
            )
            assert status == 201
            buyers[who] = token

        fake_stripe.hold(SESSIONS, count=2)
        answers = {}

        def check_out(who):
            try:
                answers[who] = call(base, "POST", CHECKOUT, token=buyers[who])
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                answers[who] = exc

        threads = [threading.Thread(target=check_out, args=(who,)) for who in buyers]
        for thread in threads:
            thread.start()
        assert fake_stripe.all_held.wait(30), "the checkouts never reached Stripe"
        pid = server_pid(base)
        os.killpg(pid, signal.SIGKILL)  # the server, mid-checkout
        for thread in threads:
            thread.join(timeout=30)
        fake_stripe.release()

    # Neither buyer got an answer; both orders hold their unit, no session stored.
    assert all(isinstance(answer, Exception) for answer in answers.values()), answers
    orders = {o.user.email.split("@")[0]: o for o in Order.objects.select_related("user")}
    assert {o.status for o in orders.values()} == {OrderStatus.PENDING_PAYMENT}
    assert {o.stripe_session_id for o in orders.values()} == {""}
    assert stock(lamp) == (5, 2)
    assert len(fake_stripe.sessions) == 2

    with running_daphne(collected_static, tmp_path, name="second") as base:
        # The buyer who stays asks again: the same order, the same session.
        status, session = call(base, "POST", CHECKOUT, token=buyers["stays"])
        assert status == 200, session
        assert session["order_id"] == str(orders["stays"].pk)
        assert len(fake_stripe.sessions) == 2 and session["session_id"] in fake_stripe.sessions
        again = call(base, "POST", CHECKOUT, token=buyers["stays"])
        assert again == (200, session)

        # Paid once, however often Stripe (or the reconciliation) says so.
        paid = fake_stripe.pay(session["session_id"])
        event = fake_stripe.event("checkout.session.completed", paid)
        assert webhook(base, fake_stripe, event) == "paid"
        assert webhook(base, fake_stripe, event) == "duplicate"
        replay = fake_stripe.event("checkout.session.completed", paid)
        assert webhook(base, fake_stripe, replay) == "already paid"
        status, body = call(base, "POST", CHECKOUT, token=buyers["stays"])
        assert status == 400 and body["errors"][0]["code"] == "cart_empty"

    # The buyer who left: released once the reservation lapses.
    Order.objects.filter(pk=orders["leaves"].pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert reconcile_checkouts() == {"expired": 1}
    assert reconcile_checkouts() == {}
    statuses = dict(Order.objects.values_list("user__email", "status"))
    assert statuses == {
        "stays@example.com": OrderStatus.PAID,
        "leaves@example.com": OrderStatus.EXPIRED,
    }
    assert stock(lamp) == (4, 0)  # one sold, nothing held
    assert Payment.objects.count() == 1
    assert not fake_stripe.requested("POST", "/v1/refunds")
