"""Reconnecting with `?since=` misses nothing, once and in order; typing is live only."""

import pytest
from channels.db import database_sync_to_async

from chat import services
from tests.factories import chat_message, group_conversation

from .conftest import make_user
from .socket_helpers import connect, next_frame, quiet, request

pytestmark = [pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def arrange():
    alice, bob, carol, dave = (make_user() for _ in range(4))
    return alice, bob, carol, dave, group_conversation(alice, bob, carol)


async def test_resume_after_a_reconnect_delivers_every_missed_event_once_in_order(open_socket):
    alice, bob, carol, dave, group = await arrange()
    socket = await connect(open_socket, alice)
    await database_sync_to_async(chat_message)(group, bob, body="seen live")
    seen = await next_frame(socket)
    assert seen["type"] == "chat.message.new"
    await socket.comm.disconnect()

    sent = [
        await database_sync_to_async(chat_message)(group, bob, body=f"missed {n}") for n in range(3)
    ]
    await database_sync_to_async(services.mark_read)(
        user=carol, conversation_id=group.pk, up_to=sent[-1].pk
    )
    await database_sync_to_async(services.add_participants)(
        actor=alice, conversation_id=group.pk, user_ids=[dave.pk]
    )
    await database_sync_to_async(services.remove_participant)(
        actor=alice, conversation_id=group.pk, user_id=carol.pk
    )

    back = await connect(open_socket, alice, since=seen["id"])
    # Alice had no socket open: she was also notified (notification.* frames,
    # replayed among them in their place).
    replayed, notified = [], []
    while len(replayed) < 6:
        frame = await next_frame(back)
        (notified if frame["type"].startswith("notification.") else replayed).append(frame)
    assert notified
    assert [f["type"] for f in replayed] == [
        "chat.message.new",
        "chat.message.new",
        "chat.message.new",
        "chat.message.read",
        "chat.conversation.updated",
        "chat.conversation.updated",
    ]
    assert [f["data"]["body"] for f in replayed[:3]] == ["missed 0", "missed 1", "missed 2"]
    assert replayed[3]["data"]["user_id"] == str(carol.pk)
    ids = [f["id"] for f in replayed]
    assert len(set(ids)) == 6 and seen["id"] not in ids
    members = {p["id"] for p in replayed[-1]["data"]["participants"]}
    assert str(dave.pk) in members and str(carol.pk) not in members

    await database_sync_to_async(chat_message)(group, bob, body="live again")
    live = await next_frame(back)
    assert live["data"]["body"] == "live again"
    await quiet(back, alice, skip=("notification.new",))  # nothing twice


async def test_typing_is_not_replayed(open_socket, settings):
    settings.CHAT_TYPING_INTERVAL_SECONDS = 0
    alice, bob, _, _, group = await arrange()
    socket = await connect(open_socket, alice)
    await database_sync_to_async(chat_message)(group, bob, body="mark")
    mark = await next_frame(socket)
    await socket.comm.disconnect()
    bobs = await connect(open_socket, bob)
    assert (await request(bobs, "chat.typing", {"conversation_id": str(group.pk)}))["type"] == "ack"
    back = await connect(open_socket, alice, since=mark["id"])
    await quiet(back, alice)
