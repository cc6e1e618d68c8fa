"""Redis stops: what needs only Postgres keeps working, the rest degrades and heals.

The test starts a redis-server of its own (tests/redis_server.py), points the
cache, the throttles, the channel layer and the realtime store at it, stops it
and starts it again. The suite's shared Redis is never touched.
"""

import logging
import time

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import override_settings
from rest_framework.test import APIClient

from config import settings as project_settings
from config.asgi import application
from core import degraded
from realtime import codes, eventlog, publish
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.redis_server import free_port, redis_server  # noqa: F401  (fixture)

API = "/api/v1"
ORIGIN = (b"origin", b"http://testserver")
HOST = (b"host", b"testserver")
USER_RATE = 4


@pytest.fixture
def on_private_redis(redis_server):  # noqa: F811
    """Every Redis-backed part on the private server; a strict per-user rate.

    override_settings rather than the `settings` fixture: the settings are put
    back before the private server is stopped for good, so the suite's own
    teardown (cache.clear()) reaches the shared Redis again."""
    rest = django_settings.REST_FRAMEWORK
    overrides = override_settings(
        REDIS_URL=redis_server.url,
        CACHES={"default": project_settings.redis_cache(redis_server.url)},
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "realtime.layer.PubSubChannelLayer",
                "CONFIG": {"hosts": [project_settings.redis_channel_host(redis_server.url)]},
            }
        },
        REDIS_OUTAGE_BACKOFF_SECONDS=0,
        REST_FRAMEWORK={
            **rest,
            "DEFAULT_THROTTLE_RATES": {
                **rest["DEFAULT_THROTTLE_RATES"],
                "user": f"{USER_RATE}/min",
            },
        },
    )
    degraded.reset()
    publish._gaps.clear()
    with overrides:
        yield redis_server
    degraded.reset()
    publish._gaps.clear()


def login(client: APIClient, user) -> str:
    response = client.post(
        f"{API}/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["access"]


async def _handshake(token: str) -> tuple[bool, object, dict | None]:
    comm = WebsocketCommunicator(application, "/ws/", [HOST, ORIGIN], ["bearer", token])
    connected, subprotocol = await comm.connect(timeout=5)
    try:
        if not connected:
            return connected, subprotocol, None
        return connected, subprotocol, await comm.receive_output(timeout=5)
    finally:
        await comm.disconnect()


async def _socket_pings(token: str) -> dict:
    comm = WebsocketCommunicator(application, "/ws/", [HOST, ORIGIN], ["bearer", token])
    connected, _ = await comm.connect(timeout=5)
    assert connected
    try:
        await comm.send_json_to({"type": "ping", "ref": "1", "data": {}})
        return await comm.receive_json_from(timeout=5)
    finally:
        await comm.disconnect()


def outage_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "core.degraded" and r.levelno == logging.WARNING
    ]


@pytest.mark.django_db(transaction=True)
def test_rest_keeps_working_while_redis_is_down_and_everything_heals(on_private_redis, caplog):
    caplog.set_level(logging.INFO, logger="core.degraded")
    author, reader = UserFactory(), UserFactory()
    client = APIClient()

    # Up: the parts work, the throttle counts.
    assert client.get("/ready/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, reader)}")
    statuses = [client.get(f"{API}/forum/posts/").status_code for _ in range(USER_RATE + 1)]
    assert statuses == [200] * USER_RATE + [429]

    on_private_redis.stop()

    # Login, an authenticated read and a write: Postgres only.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, author)}")
    created = client.post(f"{API}/forum/posts/", {"content": "written in an outage"}, format="json")
    assert created.status_code == 201, created.content
    post_id = created.json()["id"]
    # Throttles fail open: well past the rate, nothing is refused.
    for _ in range(USER_RATE + 2):
        assert client.get(f"{API}/forum/posts/").status_code == 200
    # The caches are bypassed, not failed.
    assert client.get(f"{API}/forum/posts/{post_id}/").status_code == 200
    assert client.get(f"{API}/users/{author.pk}/").status_code == 200
    assert client.get(f"{API}/forum/tags/").status_code == 200

    # One warning per part, not one per request.
    warnings = outage_warnings(caplog)
    for part in ("throttles", "cache", "channel_layer"):
        assert sum(f"for {part} " in w for w in warnings) == 1, warnings

    # Readiness names every part that is out; the database is fine.
    ready = client.get("/ready/")
    assert ready.status_code == 503
    body = ready.json()
    assert body["checks"]["database"] == "ok"
    assert set(body["failed"]) == {"cache", "channel_layer", "realtime_store"}

    # Sockets are refused cleanly: accepted, then closed with 4013, no crash.
    token = login(APIClient(), reader)
    connected, _, message = async_to_sync(_handshake)(token)
    assert connected
    assert message == {"type": "websocket.close", "code": codes.CLOSE_SERVER_UNAVAILABLE}

    on_private_redis.start()

    # Everything is back: readiness, throttling, caching, sockets.
    ready = client.get("/ready/")
    assert ready.status_code == 200, ready.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(client, reader)}")
    statuses = [client.get(f"{API}/forum/posts/").status_code for _ in range(USER_RATE + 1)]
    assert statuses == [200] * USER_RATE + [429]
    assert async_to_sync(_socket_pings)(login(APIClient(), reader))["type"] == "ack"
    assert any("available again" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_users_whose_events_an_outage_dropped_resync_on_resume(on_private_redis):
    """An event that could not be logged leaves a hole in the user's log: once the
    store answers again that log is dropped, so `?since=` asks for a resync
    instead of replaying the events around the hole as if nothing was missed."""
    user = UserFactory()
    publish.publish_to_users([user.pk], "test.event.before", {"n": 1})
    (before,) = eventlog.redis_client().xrevrange(f"realtime:log:{user.pk}", count=1)

    # The store alone is out (its data survives, as on a server that persists).
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        publish.publish_to_users([user.pk], "test.event.dropped", {"n": 2})  # not raised
    assert user.pk in publish._gaps
    publish.publish_to_users([user.pk], "test.event.after", {"n": 3})

    assert user.pk not in publish._gaps
    assert eventlog.read_since(user.pk, before[0]) is None  # resync.required


def test_calls_skipped_while_backing_off_do_not_extend_the_backoff(settings):
    """Steady traffic during an outage reports `Unavailable` for every skipped call;
    that must not push the next real attempt back, or a part under load would never
    try Redis again (the realtime log stayed down after Redis came back, while
    publishes kept arriving less than a backoff apart)."""
    settings.REDIS_OUTAGE_BACKOFF_SECONDS = 0.2
    degraded.reset()
    try:
        degraded.report("part", ConnectionError("refused"))
        assert not degraded.available("part")
        deadline = time.monotonic() + 5
        while not degraded.available("part"):
            assert time.monotonic() < deadline, "the backoff never ended"
            degraded.report("part", degraded.Unavailable("part"))
            time.sleep(0.01)
        # A real failure does back off again.
        degraded.report("part", ConnectionError("refused"))
        assert not degraded.available("part")
    finally:
        degraded.reset()
