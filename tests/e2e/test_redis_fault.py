"""Redis stopped and restarted, and its subscriber connection cut, under live
sockets of a real daphne, with real clients (`websockets`).

daphne's autobahn refuses close codes outside 1000 and 3000-4999: the gateway
used to close with 1013, which never left the server, so every socket went
silent for good after an outage. Now every socket keeps receiving or is closed
with 4013 and, resuming with `?since=`, gets what it missed in order or
`resync.required`: no event is lost without the client being told."""

import time
from contextlib import closing

import pytest
import redis

from realtime import codes
from tests.factories import direct_conversation
from tests.redis_server import redis_server  # noqa: F401  (fixture)
from tests.sockets import access_token

from .conftest import running_daphne
from .test_journey import call
from .ws_client import ResumingClient, closed_with, open_socket, resuming_clients

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]

SOCKETS = 3


@pytest.fixture
def server_on_private_redis(transactional_db, collected_static, tmp_path, redis_server):  # noqa: F811
    env = {
        "REDIS_URL": redis_server.url,
        "CHANNEL_LAYER_PREFIX": "asgi.fault.",
        # Every Redis failure in the server log, not one a minute.
        "REDIS_OUTAGE_LOG_INTERVAL_SECONDS": "0",
    }
    with running_daphne(collected_static, tmp_path, "fault", env=env) as base:
        yield base


@pytest.fixture
def chat(django_user_model):
    make = django_user_model.objects.create_user
    alice = make(email="alice@example.com", password="pw-123456789", username="alice")
    bob = make(email="bob@example.com", password="pw-123456789", username="bob")
    return alice, bob, direct_conversation(alice, bob)


class Sender:
    def __init__(self, base: str, user, conversation):
        self.base, self.token = base, access_token(user)
        self.path = f"/api/v1/chat/conversations/{conversation.pk}/messages/"
        self.sent: list[tuple[float, str]] = []

    def send(self, body: str) -> None:
        started = time.monotonic()
        status, answer = call(self.base, "POST", self.path, {"body": body}, self.token)
        assert status == 201, (body, status, answer)
        self.sent.append((started, body))

    def bodies(self) -> list[str]:
        return [body for _, body in self.sent]


def assert_in_order_once(client: ResumingClient, sent: list[str]) -> None:
    got = client.bodies()
    assert len(got) == len(set(got)), f"duplicates: {got}"
    positions = [sent.index(body) for body in got]
    assert positions == sorted(positions), f"out of order: {got}"


def test_sockets_across_a_redis_restart_keep_receiving_or_close_and_resume(
    server_on_private_redis,
    redis_server,  # noqa: F811
    chat,
):
    base = server_on_private_redis
    alice, bob, conversation = chat
    sender = Sender(base, alice, conversation)
    with resuming_clients(base, access_token(bob), SOCKETS) as clients:
        for i in range(5):
            sender.send(f"before-{i}")
        for client in clients:
            client.wait_for(lambda c=client: len(c.bodies()) == 5)

        redis_server.stop()
        # Every open socket is told: closed with 4013 (it reconnects, and is
        # closed with 4013 again while Redis is down).
        for client in clients:
            client.wait_closed_for_outage(1)
        # Chat keeps working over REST meanwhile; these events cannot be logged.
        for i in range(5):
            sender.send(f"during-{i}")
        # A socket opened during the outage is closed with the code, not left silent.
        with open_socket(base, access_token(bob)) as late:
            assert closed_with(late) == codes.CLOSE_SERVER_UNAVAILABLE

        redis_server.start()
        for i in range(5):
            sender.send(f"after-{i}")
        # Each socket resumes: every message so far reached it or is covered by
        # a `resync.required` it got after the message was sent.
        for client in clients:
            client.wait_for(lambda c=client: not c.unaccounted(sender.sent))
        # Once every socket has caught up, live events reach them all again. (A
        # socket may be told to resync once more meanwhile: the first publish that
        # logs after the outage deletes the logs the outage left with a hole.)
        for i in range(5, 10):
            sender.send(f"after-{i}")
        for client in clients:
            client.wait_for(lambda c=client: not c.unaccounted(sender.sent))
        # Events published while the server still backs off after the outage are
        # dropped and answered with `resync.required`; once it logs again they
        # come live. Probe until one has reached every socket.
        deadline = time.monotonic() + 20
        while not all(any(b.startswith("probe-") for b in c.bodies()) for c in clients):
            assert time.monotonic() < deadline, "no live event after the outage"
            sender.send(f"probe-{len(sender.sent)}")
            time.sleep(0.1)  # the polling interval of the probes
        for i in range(5):
            sender.send(f"live-{i}")
        for client in clients:
            client.wait_for(lambda c=client: {f"live-{i}" for i in range(5)} <= set(c.bodies()))

    for client in clients:
        assert set(client.closes) == {codes.CLOSE_SERVER_UNAVAILABLE}, client.closes
        assert client.unaccounted(sender.sent) == [], (client.bodies(), client.closes)
        assert_in_order_once(client, sender.bodies())
        # The events published while Redis was down were never logged: the
        # resume said so instead of skipping them.
        assert client.frames("resync.required")
    # And the refetch the client was told to do has every message.
    status, page = call(base, "GET", sender.path + "?page_size=100", token=sender.token)
    assert status == 200, page
    assert {m["body"] for m in page["messages"]} == set(sender.bodies())


def test_a_cut_subscriber_connection_closes_sockets_and_resume_replays_in_order(
    server_on_private_redis,
    redis_server,  # noqa: F811
    chat,
):
    """Redis stays up but cuts the server's pub/sub connection (as it does to a
    subscriber past its output buffer limit): events logged meanwhile are
    replayed by `?since=`, in order, with no resync needed."""
    base = server_on_private_redis
    alice, bob, conversation = chat
    sender = Sender(base, alice, conversation)
    admin = redis.Redis(port=redis_server.port)
    with resuming_clients(base, access_token(bob), SOCKETS) as clients, closing(admin):
        sender.send("before")
        for client in clients:
            client.wait_for(lambda c=client: c.bodies() == ["before"])

        assert admin.client_kill_filter(_type="pubsub") >= 1
        for i in range(10):
            sender.send(f"m-{i}")
        for client in clients:
            client.wait_for(lambda c=client: "m-9" in c.bodies())

    for client in clients:
        assert client.bodies() == sender.bodies(), (client.bodies(), client.closes)
        assert set(client.closes) <= {codes.CLOSE_SERVER_UNAVAILABLE}, client.closes
        assert not client.frames("resync.required")
