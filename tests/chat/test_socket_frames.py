"""Chat's frames over the real socket and the real channel layer."""

import pytest
from channels.db import database_sync_to_async

from chat.models import ConversationParticipant, Message
from chat.realtime import conversation_stream
from tests.factories import chat_message, direct_conversation, group_conversation

from .conftest import make_user
from .socket_helpers import connect, next_frame, quiet, request, rest

pytestmark = [pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def people(n=3):
    return [make_user() for _ in range(n)]


@database_sync_to_async
def a_group(owner, *members):
    return group_conversation(owner, *members)


async def test_a_sent_message_is_acked_as_rest_shows_it_and_reaches_every_device(
    open_socket, settings
):
    settings.PUBLIC_ORIGIN = "https://api.example.org"
    alice, bob, carol = await people()
    group = await a_group(alice, bob, carol)
    phone = await connect(open_socket, alice)
    laptop = await connect(open_socket, alice)
    bobs, carols = await connect(open_socket, bob), await connect(open_socket, carol)

    reply = await request(
        phone, "chat.message.sent", {"conversation_id": str(group.pk), "body": "hi all"}
    )
    assert reply["type"] == "ack", reply
    message = reply["data"]
    detail = await rest(alice, "get", f"/api/v1/chat/conversations/{group.pk}/messages/")
    # As REST shows it, URLs absolute on PUBLIC_ORIGIN (whatever Host REST was asked with).
    shown = detail.json()["messages"][0]
    assert shown == message
    assert message["sender"]["avatar_url"].startswith("https://api.example.org/static/")
    assert message["body"] == "hi all" and message["sender"]["id"] == str(alice.pk)
    for socket in (phone, laptop, bobs, carols):
        event = await next_frame(socket)
        assert event["type"] == "chat.message.new" and event["data"] == message
        assert event["id"] is not None  # logged: resumable


async def test_the_same_client_ref_is_stored_once_and_acked_with_the_same_message(open_socket):
    alice, bob = await people(2)
    direct = await database_sync_to_async(direct_conversation)(alice, bob)
    socket, bobs = await connect(open_socket, alice), await connect(open_socket, bob)
    frame = {"conversation_id": str(direct.pk), "body": "once", "client_ref": "c-1"}
    first = await request(socket, "chat.message.sent", frame)
    assert (await next_frame(socket))["type"] == "chat.message.new"
    again = await request(socket, "chat.message.sent", frame)
    assert first["type"] == again["type"] == "ack"
    assert again["data"] == first["data"]
    assert await database_sync_to_async(Message.objects.filter(client_ref="c-1").count)() == 1
    assert (await next_frame(bobs))["data"]["id"] == first["data"]["id"]
    await quiet(bobs, bob)  # told once
    await quiet(socket, alice)


@pytest.mark.parametrize(
    "data, code, field",
    [
        ({"body": ""}, "blank", "body"),
        ({"body": "x" * 5000}, "max_length", "body"),
        ({"body": ["a list"]}, "invalid", "body"),
        ({"body": "hi", "client_ref": "r" * 65}, "max_length", "client_ref"),
        ({"body": "hi", "media_ids": ["not-a-uuid"]}, "invalid", "media_ids"),
        ({"body": "hi", "media_ids": "nope"}, "not_a_list", "media_ids"),
    ],
)
async def test_bad_input_is_refused_with_the_codes_rest_gives(open_socket, data, code, field):
    alice, bob = await people(2)
    direct = await database_sync_to_async(direct_conversation)(alice, bob)
    socket = await connect(open_socket, alice)
    reply = await request(socket, "chat.message.sent", {"conversation_id": str(direct.pk), **data})
    assert reply["type"] == "error", reply
    over_rest = await rest(alice, "post", f"/api/v1/chat/conversations/{direct.pk}/messages/", data)
    assert over_rest.status_code == 400
    body = over_rest.json()
    # The frame's data is exactly REST's error body.
    assert reply["data"] == body
    first = body["errors"][0]
    assert first["code"] == code and first["attr"].split(".")[0] == field


async def test_read_markers_go_to_the_others_and_my_other_devices_and_never_back(open_socket):
    alice, bob, carol = await people()
    group = await a_group(alice, bob, carol)
    first, second = [
        await database_sync_to_async(chat_message)(group, alice, body=f"m{n}") for n in (1, 2)
    ]
    phone, laptop = await connect(open_socket, bob), await connect(open_socket, bob)
    alices = await connect(open_socket, alice)
    frame = {"conversation_id": str(group.pk), "up_to": str(second.pk)}

    reply = await request(phone, "chat.message.read", frame)
    assert reply["data"] == {"last_read_message_id": str(second.pk), "unread_count": 0}
    told = {"conversation_id": str(group.pk), "user_id": str(bob.pk), "up_to": str(second.pk)}
    for socket in (laptop, alices, phone):  # the reading device too, after its ack
        event = await next_frame(socket)
        assert event["type"] == "chat.message.read" and event["data"] == told

    # Seed 002's shape: the newest of `message_ids` is the marker; an older one
    # leaves it where it is and tells nobody.
    back = await request(
        phone,
        "chat.message.read",
        {"conversation_id": str(group.pk), "message_ids": [str(first.pk)]},
    )
    assert back["data"] == {"last_read_message_id": str(second.pk), "unread_count": 0}
    await quiet(alices, alice)
    reply = await request(phone, "chat.message.read", {"conversation_id": str(group.pk)})
    assert reply["type"] == "error" and reply["data"]["errors"][0]["code"] == "required"


async def test_typing_reaches_the_others_on_the_open_conversation_only_and_is_throttled(
    open_socket, settings
):
    settings.CHAT_TYPING_INTERVAL_SECONDS = 60
    alice, bob, carol = await people()
    group = await a_group(alice, bob, carol)
    stream = conversation_stream(group.pk)
    typist, typists_laptop = await connect(open_socket, alice), await connect(open_socket, alice)
    bobs, carols = await connect(open_socket, bob), await connect(open_socket, carol)
    for socket in (typist, typists_laptop, bobs):
        assert (await request(socket, "subscribe", {"stream": stream}))["type"] == "ack"

    reply = await request(typist, "chat.typing", {"conversation_id": str(group.pk)})
    assert reply["data"] == {"sent": True}
    event = await next_frame(bobs)
    assert event["type"] == "chat.typing" and event["stream"] == stream
    assert event["data"] == {"conversation_id": str(group.pk), "user_id": str(alice.pk)}
    assert event["id"] is None  # live only
    again = await request(typists_laptop, "chat.typing", {"conversation_id": str(group.pk)})
    assert again["data"] == {"sent": False}  # the user's, on any device
    await quiet(bobs, bob)
    await quiet(typists_laptop, alice)  # never to the typist's own sockets
    await quiet(carols, carol)  # conversation not open there
    assert await database_sync_to_async(Message.objects.count)() == 0


async def test_a_removed_member_stops_receiving_at_once(open_socket):
    alice, bob, carol = await people()
    group = await a_group(alice, bob, carol)
    stream = conversation_stream(group.pk)
    carols = await connect(open_socket, carol)
    assert (await request(carols, "subscribe", {"stream": stream}))["type"] == "ack"

    removed = await rest(
        alice, "delete", f"/api/v1/chat/conversations/{group.pk}/participants/{carol.pk}/"
    )
    assert removed.status_code in (200, 204), removed.content
    # Told of the removal (the conversation without them), and the stream ends.
    frames = {(await next_frame(carols))["type"] for _ in range(2)}
    assert frames == {"chat.conversation.updated", "stream.ended"}

    await database_sync_to_async(chat_message)(group, alice, body="after carol")
    await database_sync_to_async(
        lambda: __import__("realtime.publish", fromlist=["x"]).publish_to_stream(
            stream, "chat.typing", {"conversation_id": str(group.pk), "user_id": str(alice.pk)}
        )
    )()
    await quiet(carols, carol)
    for frame_type, data in (
        ("chat.message.sent", {"body": "let me back"}),
        ("chat.message.read", {"message_ids": []}),
        ("chat.typing", {}),
    ):
        reply = await request(carols, frame_type, {"conversation_id": str(group.pk), **data})
        assert reply["type"] == "error", reply
    refused = await request(carols, "subscribe", {"stream": stream})
    assert refused["data"]["errors"][0]["code"] == "unknown_stream"
    assert not await database_sync_to_async(
        ConversationParticipant.objects.filter(user=carol, left_at__isnull=True).exists
    )()


async def test_query_counts_per_frame(open_socket, all_queries, settings):
    settings.CHAT_TYPING_INTERVAL_SECONDS = 60
    alice, bob, carol = await people()
    group = await a_group(alice, bob, carol)
    sockets = [await connect(open_socket, user) for user in (alice, bob, carol)]
    conversation = {"conversation_id": str(group.pk)}
    for socket in sockets:  # connected through (presence told): frames come after
        await request(socket, "ping", {})

    all_queries.reset()
    assert (await request(sockets[0], "chat.typing", conversation))["data"] == {"sent": True}
    assert (await request(sockets[0], "chat.typing", conversation))["data"] == {"sent": False}
    assert all_queries.count == 2, all_queries.sql  # the membership, once per frame

    all_queries.reset()
    reply = await request(sockets[0], "chat.message.sent", {**conversation, "body": "count"})
    assert reply["type"] == "ack"
    for socket in sockets:
        assert (await next_frame(socket))["type"] == "chat.message.new"
    sent = all_queries.count
    assert sent <= 22, all_queries.sql  # whatever the number of recipients' sockets

    more = [await connect(open_socket, user) for user in (bob, carol, bob, carol)]
    for socket in more:
        await request(socket, "ping", {})
    all_queries.reset()
    await request(sockets[0], "chat.message.sent", {**conversation, "body": "again"})
    for socket in sockets + more:
        assert (await next_frame(socket))["type"] == "chat.message.new"
    assert all_queries.count == sent, all_queries.sql


async def test_a_membership_change_reaches_the_sockets_named_and_bounded(open_socket, settings):
    settings.CHAT_EVENT_PARTICIPANTS_MAX = 2
    alice, bob, carol, dave = await people(4)
    group = await a_group(alice, bob, carol)
    bobs, daves = await connect(open_socket, bob), await connect(open_socket, dave)

    added = await rest(
        alice,
        "post",
        f"/api/v1/chat/conversations/{group.pk}/participants/",
        {"user_ids": [str(dave.pk)]},
    )
    assert added.status_code == 200, added.content
    # The REST answer is the detail: every participant.
    assert len(added.json()["participants"]) == added.json()["participant_count"] == 4
    for socket in (bobs, daves):
        event = await next_frame(socket)
        assert event["type"] == "chat.conversation.updated" and event["id"]
        data = event["data"]
        assert [p["id"] for p in data["participants"]] == [str(alice.pk), str(bob.pk)]
        assert data["participant_count"] == 4
        assert data["change"]["action"] == "participants_added"
        assert (data["change"]["added"], data["change"]["added_count"]) == ([str(dave.pk)], 1)
