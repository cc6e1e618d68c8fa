"""The receipt: marked sent only once the mail server took it, one sender at a
time (a lease), and its task never lost (acknowledged late, the broker's
visibility timeout set). The kill itself: test_receipt_worker_kill.py."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from commerce import tasks
from commerce.models import Order
from commerce.services.receipts import ReceiptBeingSent, send_receipt
from config.celery import app
from tests.commerce.test_receipt_worker_kill import paid_order
from tests.e2e.conftest import free_port
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_failed_send_leaves_the_receipt_unsent_and_free_for_the_retry(settings):
    order = paid_order(make_user())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    with pytest.raises(OSError):
        send_receipt(order_id=order.pk)
    order.refresh_from_db()
    assert order.receipt_sent_at is None and order.receipt_lease_until is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_receipt(order_id=order.pk) is True
    order.refresh_from_db()
    assert order.receipt_sent_at is not None and len(mail.outbox) == 1


def test_a_copy_of_the_task_waits_while_another_sends_then_sends_if_that_one_died():
    order = paid_order(make_user())
    Order.objects.filter(pk=order.pk).update(
        receipt_lease_until=timezone.now() + timedelta(seconds=40)
    )
    with pytest.raises(ReceiptBeingSent) as busy:
        send_receipt(order_id=order.pk)
    assert 35 < busy.value.seconds <= 40 and not mail.outbox
    # The holder died: its lease lapsed, nothing was marked; this copy sends.
    Order.objects.filter(pk=order.pk).update(receipt_lease_until=timezone.now())
    assert send_receipt(order_id=order.pk) is True
    assert len(mail.outbox) == 1
    # Sent: every later copy does nothing.
    assert send_receipt(order_id=order.pk) is False and len(mail.outbox) == 1


def test_receipts_refunds_and_reconciliation_are_never_dropped_by_the_broker():
    for task in (tasks.send_receipt, tasks.refund_payment, tasks.reconcile_checkouts):
        assert task.acks_late and task.reject_on_worker_lost, task.name
    options = app.conf.broker_transport_options
    assert options["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT_SECONDS
    # Longer than a retry can wait (Celery's backoff stops at 600 s): a task
    # waiting for its countdown is not handed out twice.
    assert settings.CELERY_VISIBILITY_TIMEOUT_SECONDS > 600
    assert settings.SHOP_RECEIPT_LEASE_SECONDS > settings.EMAIL_TIMEOUT
