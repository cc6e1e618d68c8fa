"""Over the socket, a member added back marks read as over REST: a message from
their gap (said while they were away) is refused as one that is not in the
conversation, the marker stays and nobody is told."""

import uuid

import pytest
from channels.db import database_sync_to_async

from chat import services
from chat.models import ConversationParticipant
from tests.factories import chat_message, group_conversation

from .conftest import make_user
from .socket_helpers import connect, next_frame, quiet, request

pytestmark = [pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def away_and_back():
    """Carol sees `before`, is removed, misses `while_away`, and is added back;
    `elsewhere` is in a conversation of hers she saw all of."""
    alice, bob, carol = make_user(), make_user(), make_user()
    group = group_conversation(alice, bob, carol)
    before = chat_message(group, alice, "before")
    services.mark_read(user=carol, conversation_id=group.pk, up_to=before.pk)
    services.remove_participant(actor=alice, conversation_id=group.pk, user_id=carol.pk)
    while_away = chat_message(group, bob, "while away")
    services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[carol.pk])
    elsewhere = chat_message(group_conversation(alice, carol), alice, "elsewhere")
    return alice, bob, carol, group, before, while_away, elsewhere


@database_sync_to_async
def marker_of(user, group):
    return ConversationParticipant.objects.get(conversation=group, user=user).last_read_message_id


async def test_a_message_from_the_gap_is_refused_as_an_unknown_one(open_socket):
    alice, bob, carol, group, before, while_away, elsewhere = await away_and_back()
    carols, alices = await connect(open_socket, carol), await connect(open_socket, alice)
    await quiet(alices, alice)
    conversation = {"conversation_id": str(group.pk)}

    async def refusal(data):
        reply = await request(carols, "chat.message.read", {**conversation, **data})
        assert reply["type"] == "error", reply
        return reply["data"]["errors"][0]

    for name, wrap in (("up_to", str), ("message_ids", lambda m: [m])):
        unknown = await refusal({name: wrap(str(uuid.uuid4()))})
        assert unknown["code"] == "does_not_exist" and unknown["attr"] == name
        assert await refusal({name: wrap(str(elsewhere.pk))}) == unknown
        assert await refusal({name: wrap(str(while_away.pk))}) == unknown
    mixed = await refusal({"message_ids": [str(before.pk), str(while_away.pk)]})
    assert mixed == await refusal({"message_ids": [str(before.pk), str(elsewhere.pk)]})

    assert await marker_of(carol, group) == before.pk
    # Nobody was told of a read: the next frame Alice gets is the marker.
    await quiet(alices, alice)
    await quiet(carols, carol)

    # What was said since their return they may mark, and the others are told.
    after = await database_sync_to_async(chat_message)(group, bob, "after")
    assert (await next_frame(alices))["type"] == "chat.message.new"
    assert (await next_frame(carols))["type"] == "chat.message.new"
    reply = await request(carols, "chat.message.read", {**conversation, "up_to": str(after.pk)})
    assert reply["data"] == {"last_read_message_id": str(after.pk), "unread_count": 0}
    told = await next_frame(alices)
    assert told["type"] == "chat.message.read"
    assert told["data"] == {**conversation, "user_id": str(carol.pk), "up_to": str(after.pk)}
