"""/metrics: django-prometheus plus the sockets', events' and tasks' counters, and
who may read it."""

import pytest
from celery import shared_task
from channels.db import database_sync_to_async
from prometheus_client import REGISTRY

from realtime.publish import publish_to_stream, publish_to_users
from tests.sockets import access_token

pytestmark = pytest.mark.django_db(transaction=True)


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@shared_task(name="tests.ops.metrics_ok")
def ok_task():
    return 1


@shared_task(name="tests.ops.metrics_boom")
def boom_task():
    raise RuntimeError("boom")


def test_metrics_from_an_allowed_address(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    client.get("/health/")

    response = client.get("/metrics")

    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    for name in (
        "realtime_open_sockets",
        "realtime_frames_total",
        "realtime_events_published_total",
        "celery_tasks_total",
    ):
        assert f"# HELP {name}" in text


@pytest.mark.parametrize(
    ("allowed", "address", "status"),
    [
        (["127.0.0.1"], "10.1.2.3", 403),
        (["10.0.0.0/8"], "10.1.2.3", 200),
        ([], "127.0.0.1", 403),
        (["not-an-address", "::1"], "::1", 200),
    ],
)
def test_metrics_by_address(client, settings, allowed, address, status):
    settings.METRICS_ALLOWED_IPS = allowed
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics", REMOTE_ADDR=address).status_code == status


def test_a_forwarded_address_is_not_trusted(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]

    response = client.get("/metrics", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("header", "status"),
    [("Bearer s3cret-metrics", 200), ("Bearer wrong", 403), ("s3cret-metrics", 403), ("", 403)],
)
def test_metrics_with_the_token(client, settings, header, status):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = "s3cret-metrics"
    headers = {"Authorization": header} if header else {}

    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5", headers=headers).status_code == status


def test_no_token_configured_means_no_token_works(client, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = ""

    response = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.5", headers={"Authorization": "Bearer "}
    )

    assert response.status_code == 403


async def test_sockets_and_frames_are_counted(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    open_before = sample("realtime_open_sockets")
    pings = sample("realtime_frames_total", direction="in", type="ping")
    acks = sample("realtime_frames_total", direction="out", type="ack")
    made_up = sample("realtime_frames_total", direction="in", type="other")

    socket = await open_socket(access_token(user))
    assert sample("realtime_open_sockets") == open_before + 1
    await socket.ping()
    await socket.send("made.up.type")
    assert (await socket.receive())["type"] == "error"

    assert sample("realtime_frames_total", direction="in", type="ping") == pings + 1
    assert sample("realtime_frames_total", direction="out", type="ack") == acks + 1
    # A client cannot mint a series per made-up type.
    assert sample("realtime_frames_total", direction="in", type="made.up.type") == 0
    assert sample("realtime_frames_total", direction="in", type="other") == made_up + 1

    events_out = sample("realtime_frames_total", direction="out", type="tests.metric")
    await database_sync_to_async(publish_to_users)([user.pk], "tests.metric", {"n": 1})
    assert (await socket.receive())["type"] == "tests.metric"
    assert sample("realtime_frames_total", direction="out", type="tests.metric") == events_out + 1

    await socket.comm.disconnect()
    assert sample("realtime_open_sockets") == open_before


def test_published_events_are_counted(make_user):
    users = [make_user(), make_user(), make_user()]
    to_users = sample("realtime_events_published_total", type="tests.counted", target="user")
    to_stream = sample("realtime_events_published_total", type="tests.counted", target="stream")

    publish_to_users([u.pk for u in users], "tests.counted", {"x": 1})
    publish_to_stream("forum", "tests.counted", {"x": 1})

    assert sample("realtime_events_published_total", type="tests.counted", target="user") == (
        to_users + 3
    )
    assert sample("realtime_events_published_total", type="tests.counted", target="stream") == (
        to_stream + 1
    )


def test_celery_task_outcomes_are_counted(settings):
    from config.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    try:
        ok = sample("celery_tasks_total", task="tests.ops.metrics_ok", outcome="succeeded")
        failed = sample("celery_tasks_total", task="tests.ops.metrics_boom", outcome="failed")
        ok_task.delay()
        ok_task.delay()
        boom_task.delay()
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous

    assert sample("celery_tasks_total", task="tests.ops.metrics_ok", outcome="succeeded") == ok + 2
    assert sample("celery_tasks_total", task="tests.ops.metrics_boom", outcome="failed") == (
        failed + 1
    )
