"""Who may do what over the socket: every chat frame for every kind of user.

REST answers the same refusals with the same codes (tests/chat/test_permissions.py).
"""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat import services
from chat.realtime import conversation_stream
from tests.factories import chat_message, direct_conversation, group_conversation
from tests.sockets import access_token
from users import services as user_services
from users.models import User

from .conftest import make_user
from .socket_helpers import connect, request

pytestmark = [pytest.mark.django_db(transaction=True)]

OK = "ack"
FRAMES = ("chat.message.sent", "chat.message.read", "chat.typing", "subscribe")
EXPECTED = {
    "participant": {frame: OK for frame in FRAMES},
    "removed": {**dict.fromkeys(FRAMES[:3], "not_found"), "subscribe": "unknown_stream"},
    "stranger": {**dict.fromkeys(FRAMES[:3], "not_found"), "subscribe": "unknown_stream"},
    # Added back after a removal: a member again, but the message read is one sent
    # while they were away, which they cannot see.
    "returned": {**dict.fromkeys(FRAMES, OK), "chat.message.read": "does_not_exist"},
    # Blocked by the other side of a direct conversation: cannot message them;
    # reading and opening the conversation stay (their typing is not shown to
    # the blocker: the gateway hides blocked actors).
    "blocked": {**dict.fromkeys(FRAMES, OK), "chat.message.sent": "user_blocked"},
    # Suspended with the socket still open (the suspension closes it: below).
    "suspended": {**dict.fromkeys(FRAMES, OK), "chat.message.sent": "account_suspended"},
}


@database_sync_to_async
def arrange(role: str):
    owner, member = make_user(), make_user()
    if role == "blocked":
        conversation = direct_conversation(owner, member)
    else:
        conversation = group_conversation(owner, member)
    message = chat_message(conversation, owner, body="before")
    actor = member
    if role in ("removed", "returned"):
        services.remove_participant(actor=owner, conversation_id=conversation.pk, user_id=member.pk)
    if role == "returned":
        message = chat_message(conversation, owner, body="while away")
        services.add_participants(
            actor=owner, conversation_id=conversation.pk, user_ids=[member.pk]
        )
    elif role == "stranger":
        actor = make_user()
    elif role == "blocked":
        user_services.block_user(blocker=owner, blocked=member)
    return conversation, message, actor


def frame_data(frame: str, conversation, message) -> dict:
    return {
        "chat.message.sent": {"conversation_id": str(conversation.pk), "body": "hello"},
        "chat.message.read": {"conversation_id": str(conversation.pk), "up_to": str(message.pk)},
        "chat.typing": {"conversation_id": str(conversation.pk)},
        "subscribe": {"stream": conversation_stream(conversation.pk)},
    }[frame]


@pytest.mark.parametrize("role", list(EXPECTED))
async def test_socket_permission_matrix(open_socket, role, settings):
    settings.CHAT_TYPING_INTERVAL_SECONDS = 0
    conversation, message, actor = await arrange(role)
    socket = await connect(open_socket, actor)
    if role == "suspended":
        until = timezone.now() + timedelta(days=1)
        await database_sync_to_async(User.objects.filter(pk=actor.pk).update)(suspended_until=until)
    for frame in FRAMES:
        data = frame_data(frame, conversation, message)
        reply = await request(socket, frame, data, skip_events=True)
        expected = EXPECTED[role][frame]
        if expected == OK:
            assert reply["type"] == "ack", (role, frame, reply)
        else:
            assert reply["type"] == "error", (role, frame, reply)
            assert reply["data"]["errors"][0]["code"] == expected, (role, frame, reply)


async def test_suspension_closes_the_socket_and_refuses_the_next(open_socket):
    _, _, member = await arrange("participant")
    socket = await connect(open_socket, member)
    until = timezone.now() + timedelta(days=1)
    await database_sync_to_async(user_services.suspend_user)(user=member, until=until)
    while True:  # presence and stream frames may come first
        message = await socket.comm.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            break
    assert message["code"] == 4003
    again = await open_socket(access_token(member))
    assert not again.connected
