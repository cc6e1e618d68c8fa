"""presence.user.join / leave to those who share a conversation, and by TTL."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from chat import presence as chat_presence
from realtime import presence
from tests.factories import group_conversation

from .conftest import make_user
from .socket_helpers import connect, quiet, rest

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_announcements():
    chat_presence.retract(chat_presence.announced())
    yield
    chat_presence.retract(chat_presence.announced())


@database_sync_to_async
def arrange():
    alice, bob, carol = make_user(), make_user(), make_user()
    group_conversation(alice, bob)
    return alice, bob, carol


async def test_join_on_the_first_socket_and_leave_after_the_last(open_socket):
    alice, bob, carol = await arrange()
    bobs, carols = await connect(open_socket, bob), await connect(open_socket, carol)

    phone = await connect(open_socket, alice)
    joined = await bobs.receive()
    assert joined["type"] == "presence.user.join" and joined["data"] == {"user_id": str(alice.pk)}
    assert joined["id"] is None  # live only
    listed = await rest(bob, "get", "/api/v1/chat/conversations/")
    online = {p["id"]: p["online"] for p in listed.json()["conversations"][0]["participants"]}
    assert online == {str(alice.pk): True, str(bob.pk): True}

    laptop = await connect(open_socket, alice)
    await phone.comm.disconnect()
    await quiet(bobs, bob, skip=())  # a second socket and its closing tell nothing
    await laptop.comm.disconnect()
    left = await bobs.receive()
    assert left["type"] == "presence.user.leave" and left["data"] == {"user_id": str(alice.pk)}
    await quiet(carols, carol, skip=())  # shares no conversation with alice


async def test_a_dead_servers_users_leave_by_ttl_once(open_socket, settings):
    alice, bob, _ = await arrange()
    bobs = await connect(open_socket, bob)
    # Alice's only socket is on a server that then dies: its presence is never
    # refreshed nor removed, only its TTL ends it.
    settings.REALTIME = {**settings.REALTIME, "PRESENCE_TTL_SECONDS": 1}
    assert await database_sync_to_async(presence.mark_online)(alice.pk, "dead-server.channel")
    settings.REALTIME = {**settings.REALTIME, "PRESENCE_TTL_SECONDS": 60}
    await database_sync_to_async(chat_presence.on_transition)(alice.pk, True)
    assert (await bobs.receive())["type"] == "presence.user.join"

    assert str(alice.pk) not in await database_sync_to_async(chat_presence.sweep)()  # live
    for _ in range(100):  # until the TTL has run out
        if not await database_sync_to_async(presence.is_online)(alice.pk):
            break
        await asyncio.sleep(0.05)
    assert str(alice.pk) in await database_sync_to_async(chat_presence.sweep)()
    left = await bobs.receive()
    assert left["type"] == "presence.user.leave" and left["data"] == {"user_id": str(alice.pk)}
    assert str(alice.pk) not in await database_sync_to_async(chat_presence.sweep)()  # once
    await quiet(bobs, bob, skip=())
