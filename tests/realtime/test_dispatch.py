"""What a delivery costs the consumer: events pushed from the channel layer reach the
socket without the stale-connection check Channels runs before every handler (a
hop to the database thread each); frames from the client still get it."""

import channels.consumer
import pytest
from channels.db import database_sync_to_async

from core.realtime.publish import publish_to_users

from .conftest import access_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stale_checks(monkeypatch):
    calls = []
    check = channels.consumer.aclose_old_connections

    async def counted():
        calls.append(1)
        await check()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    return calls


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
