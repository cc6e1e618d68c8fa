"""What a delivery costs the consumer: events pushed from the channel layer reach
the socket without the stale-connection check Channels runs before every handler
(a hop to the database thread each); frames from the client still get it. And a
socket gone under a send drops what comes for it without an error."""

import logging
from types import SimpleNamespace

import channels.consumer
import pytest
from autobahn.exception import Disconnected
from channels.db import database_sync_to_async

from realtime.consumers import GatewayConsumer
from realtime.publish import event_message, publish_to_users

from .conftest import access_token


@pytest.fixture
def stale_checks(monkeypatch):
    calls = []
    check = channels.consumer.aclose_old_connections

    async def counted():
        calls.append(1)
        await check()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    return calls


@pytest.mark.django_db(transaction=True)
async def test_pushed_events_skip_the_check_and_client_frames_keep_it(
    make_user, open_socket, stale_checks
):
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))
    after_connect = len(stale_checks)
    assert after_connect >= 1  # the handshake

    for n in range(20):
        await database_sync_to_async(publish_to_users)([user.pk], "test.pushed", {"n": n})
    assert [(await socket.receive())["data"]["n"] for _ in range(20)] == list(range(20))
    assert len(stale_checks) == after_connect

    await socket.ping()
    assert len(stale_checks) == after_connect + 1


@pytest.mark.parametrize(
    "refusal", [Disconnected("Attempt to send on a closed protocol"), OSError()]
)
async def test_a_socket_gone_under_a_send_drops_its_events_quietly(refusal, caplog):
    # Daphne refuses a frame for a client gone before its disconnect is handled.
    sent = []

    async def base_send(message):
        sent.append(message)
        raise refusal

    consumer = GatewayConsumer()
    consumer.base_send = base_send
    consumer.user = SimpleNamespace(pk=1)
    message = event_message(event_id=None, text='{"type":"test.gone"}')
    with caplog.at_level(logging.ERROR):
        await consumer.realtime_event(message)
        await consumer.realtime_event(message)
    assert consumer.closing
    assert len(sent) == 1  # nothing more is tried on that socket
    assert not caplog.records
