"""The password reset mail leaves from a task (issue 24 #12): the request queues it
and looks nothing up, so it does the same work whether the address has an account
or not. The worker-side proof is tests/e2e/test_identity.py."""

import pytest
from django.core import mail

from config.celery import app
from tests.factories import make_user
from users.tasks import send_password_reset

from .conftest import API

pytestmark = pytest.mark.django_db
RESET = f"{API}/auth/password/reset/"
TASK = "users.tasks.send_password_reset"


@pytest.fixture
def queued():
    """Tasks go to the broker instead of running here; yields a reader of what was
    published on the default queue (drained at the end)."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    connection = app.connection_for_read()
    queue = connection.SimpleQueue(app.conf.task_default_queue)

    def read() -> list:
        messages = []
        while True:
            try:
                message = queue.get(timeout=1)
            except queue.Empty:
                return messages
            message.ack()
            messages.append(message)

    read()  # nothing left from before
    try:
        yield read
    finally:
        app.conf.task_always_eager = eager
        read()
        queue.close()
        connection.release()


@pytest.mark.requires_redis
def test_the_request_queues_the_mail_and_sends_nothing_itself(anon, queued):
    make_user(email="sam@x.test")

    response = anon.post(RESET, {"email": "SAM@x.test"}, format="json")

    assert response.status_code == 200, response.content
    assert mail.outbox == []
    [message] = queued()
    assert message.headers["task"] == TASK
    args, kwargs, _ = message.payload
    assert args[0] == "SAM@x.test" and kwargs == {}
    # What the worker then does: the mail goes out, once per request.
    assert send_password_reset.apply(args=args).get() is True
    assert send_password_reset.apply(args=args).get() is False
    assert [m.to for m in mail.outbox] == [["sam@x.test"]]


@pytest.mark.requires_redis
def test_known_and_unknown_addresses_cost_the_request_the_same(
    anon, queued, django_assert_max_num_queries
):
    make_user(email="sam@x.test")

    for email in ("sam@x.test", "nobody@x.test"):
        with django_assert_max_num_queries(0):
            response = anon.post(RESET, {"email": email}, format="json")
        assert response.status_code == 200, response.content

    assert [m.headers["task"] for m in queued()] == [TASK, TASK]
    assert mail.outbox == []


def test_with_eager_tasks_the_mail_still_arrives(anon):
    make_user(email="sam@x.test")

    response = anon.post(RESET, {"email": "sam@x.test"}, format="json")

    assert response.status_code == 200
    assert [m.to for m in mail.outbox] == [["sam@x.test"]]
    assert "/reset-password?uid=" in mail.outbox[0].body


def test_the_task_sends_nothing_for_an_unknown_or_inactive_address():
    make_user(email="gone@x.test", is_active=False)

    assert send_password_reset.apply(args=["nobody@x.test", "r1"]).get() is False
    assert send_password_reset.apply(args=["gone@x.test", "r2"]).get() is False
    assert mail.outbox == []


def test_a_lookalike_address_mails_the_account_owner_never_the_typed_address():
    make_user(email="sam@x.test")

    assert send_password_reset.apply(args=["\u017fam@x.test", "r1"]).get() is True

    assert [m.to for m in mail.outbox] == [["sam@x.test"]]
