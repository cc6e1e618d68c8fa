import json
import logging
import re
import uuid

import pytest
from celery import shared_task

from core import request_id
from core.logging import RequestIdFilter

pytestmark = pytest.mark.urls("tests.core.urls")

GENERATED = re.compile(r"[0-9a-f]{32}")
task_logger = logging.getLogger("tests.core.task")


@shared_task
def log_something():
    task_logger.warning("task log line")


@pytest.fixture
def captured(caplog):
    """caplog, stamping records the way the project's log handlers do."""
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    return caplog


def test_a_sane_client_id_is_echoed(client):
    response = client.get("/health/", headers={"X-Request-ID": "mobile-42.a:b_c"})

    assert response["X-Request-ID"] == "mobile-42.a:b_c"


def test_a_request_without_id_gets_a_fresh_one(client):
    first = client.get("/health/")["X-Request-ID"]
    second = client.get("/health/")["X-Request-ID"]

    assert GENERATED.fullmatch(first)
    assert GENERATED.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "sent",
    ["abc\n", "abc\ninjected log line", "a" * 500, "has space", "semi;colon", "ünïcode"],
)
def test_an_unsafe_client_id_is_replaced(client, sent):
    response = client.get("/health/", headers={"X-Request-ID": sent})

    assert response["X-Request-ID"] != sent
    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_error_responses_carry_the_id_too(client):
    response = client.get("/api/v1/nope/", headers={"X-Request-ID": "trace-404"})

    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-404"


def test_log_records_during_the_request_carry_its_id(client, captured):
    response = client.get("/api/v1/probe/log/", headers={"X-Request-ID": "trace-7"})

    assert response.status_code == 200
    probe = [r for r in captured.records if r.name == "tests.core.probe"]
    assert [r.request_id for r in probe] == ["trace-7"]
    # Outside the request the id is gone again.
    assert request_id.get() == request_id.NONE


def test_the_configured_log_handlers_print_the_id(client, captured):
    client.get("/api/v1/probe/log/", headers={"X-Request-ID": "trace-8"})
    record = next(r for r in captured.records if r.name == "tests.core.probe")

    project_handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in h.filters)
    ]
    assert project_handlers, "settings.LOGGING lost the request id filter"
    line = project_handlers[0].format(record)
    if line.startswith("{"):  # LOG_FORMAT=json, the default
        assert json.loads(line)["request_id"] == "trace-8"
    else:
        assert "[trace-8]" in line


def test_an_eager_task_logs_with_the_request_id(captured):
    token = request_id.set_("req-in-flight")
    try:
        log_something.apply()
    finally:
        request_id.reset(token)

    lines = [r for r in captured.records if r.name == "tests.core.task"]
    assert [r.request_id for r in lines] == ["req-in-flight"]


def test_a_worker_task_logs_with_the_id_sent_in_its_headers(captured):
    log_something.apply(headers={"request_id": "from-the-web"})

    lines = [r for r in captured.records if r.name == "tests.core.task"]
    assert [r.request_id for r in lines] == ["from-the-web"]
    assert request_id.get() == request_id.NONE


def test_a_task_queued_outside_a_request_logs_with_its_task_id(captured):
    log_something.apply(task_id="task-123")

    lines = [r for r in captured.records if r.name == "tests.core.task"]
    assert [r.request_id for r in lines] == ["task-123"]


@pytest.mark.requires_redis
def test_a_task_queued_during_a_request_carries_the_id_to_the_broker(settings):
    queue = f"test-request-id-{uuid.uuid4().hex}"
    app = log_something.app
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    token = request_id.set_("req-publishing")
    try:
        log_something.apply_async(queue=queue)
    finally:
        request_id.reset(token)
        app.conf.task_always_eager = eager

    with app.connection_for_read() as connection:
        broker_queue = connection.SimpleQueue(queue)
        try:
            message = broker_queue.get(timeout=5)
            message.ack()
        finally:
            broker_queue.queue.delete()
            broker_queue.close()
    assert message.headers["request_id"] == "req-publishing"
    assert message.headers["task"] == log_something.name
