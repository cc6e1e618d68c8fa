"""A receipt survives its worker being killed while sending it: a real Celery
worker (prefork, the Redis broker) sends through Django's SMTP backend to a
mail server that takes the message and never answers; the worker is killed
with SIGKILL mid-send, a new worker starts, and the receipt arrives (at least
once) and is marked sent. It used to be marked sent before sending: 4 of 8
were lost after a kill -9, and the redelivered task sent nothing."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from commerce.models import Order, OrderItem, OrderStatus
from config.celery import app
from tests.commerce.conftest import make_product
from tests.e2e.conftest import database_url, stop
from tests.factories import make_user
from tests.fake_smtp import FakeSMTP

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.requires_postgres,
    pytest.mark.requires_redis,
    pytest.mark.django_db(transaction=True),
    # The test process runs its own tasks in place; this one goes to the worker.
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

BASE_DIR = Path(__file__).resolve().parents[2]
QUEUE = "tests-receipt-kill"
DEADLINE_SECONDS = 60


def wait_for(condition, what: str, deadline: float = DEADLINE_SECONDS):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {deadline}s")


@pytest.fixture
def smtp():
    server = FakeSMTP().start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(tmp_path, smtp):
    """Starts a worker on QUEUE, on the test database, mailing to the fake
    server; the broker hands a task its killed worker took to another after 3 s."""
    started = []
    env = {
        **os.environ,
        "DATABASE_URL": database_url(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_VISIBILITY_TIMEOUT_SECONDS": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
        # Longer than the visibility timeout: the redelivered task finds the
        # dead worker's lease still held and waits it out.
        "SHOP_RECEIPT_LEASE_SECONDS": "6",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)

    def start(name: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO"]
        command += ["--concurrency", "1", "-Q", QUEUE, "-n", f"{name}@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        stop(process)
        log.close()


@contextmanager
def logs_on_failure(tmp_path):
    try:
        yield
    except BaseException:
        for log in sorted(tmp_path.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-6000:]}")
        raise


def paid_order(buyer) -> Order:
    product = make_product("Lantern", price="12.50", stock=5)
    order = Order.objects.create(
        user=buyer,
        currency="eur",
        subtotal=Decimal("25.00"),
        total=Decimal("25.00"),
        status=OrderStatus.PAID,
        paid_at=timezone.now(),
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    OrderItem.objects.create(
        order=order,
        product=product,
        product_name="Lantern",
        unit_price=Decimal("12.50"),
        quantity=2,
        line_total=Decimal("25.00"),
    )
    return order


def test_a_worker_killed_while_sending_a_receipt_loses_no_receipt(start_worker, smtp, tmp_path):
    buyer = make_user(email="lantern-buyer@example.com")
    order = paid_order(buyer)
    smtp.hold_next(1)  # the first attempt hangs after the server has the message
    with logs_on_failure(tmp_path):
        first = start_worker("first")
        app.send_task("commerce.tasks.send_receipt", args=[str(order.pk)], queue=QUEUE)
        assert smtp.holding.wait(DEADLINE_SECONDS), "the worker never reached the mail server"
        assert (smtp.held[0].rcpt_to, smtp.delivered) == ([buyer.email], [])
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool child, mid-send
        first.wait(timeout=10)
        order.refresh_from_db()
        assert order.receipt_sent_at is None  # not sent: not marked sent

        start_worker("second")
        delivered = wait_for(lambda: smtp.to(buyer.email), "the receipt never arrived")
        assert f"Receipt for order {order.number}" in delivered[0].data
        assert "Total paid: 25.00 EUR" in delivered[0].data

        def marked():
            order.refresh_from_db()
            return order.receipt_sent_at

        wait_for(marked, "the receipt was never marked sent")
        assert order.receipt_lease_until is None
        assert len(smtp.to(buyer.email)) == 1  # the held one never got its 250
