"""A member removed from a group (or leaving it) loses their unread chat
notifications of it, and their open sockets hear it as of any withdrawal:
`notification.deleted` with the unread count after it."""

import pytest
from channels.db import database_sync_to_async

from chat import services
from notifications.models import Notification
from tests.factories import chat_message, group_conversation

from .conftest import make_user
from .socket_helpers import connect, next_frame

pytestmark = [pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def _notified_twice():
    """Carol, away, is told of a message in a group and of one in another."""
    alice, carol = make_user(), make_user()
    group = group_conversation(alice, carol)
    other = group_conversation(alice, carol, title="Other")
    chat_message(group, alice, "in the group")
    chat_message(other, alice, "elsewhere")
    gone = Notification.objects.get(recipient=carol, target_id=str(group.pk))
    return alice, carol, group, gone


@pytest.mark.parametrize("leave", [False, True], ids=["removed", "left"])
async def test_the_socket_drops_the_withdrawn_notification_with_the_count(open_socket, leave):
    alice, carol, group, gone = await _notified_twice()
    socket = await connect(open_socket, carol)
    if leave:
        await database_sync_to_async(services.leave_conversation)(
            user=carol, conversation_id=group.pk
        )
    else:
        await database_sync_to_async(services.remove_participant)(
            actor=alice, conversation_id=group.pk, user_id=carol.pk
        )
    frame = await next_frame(socket)
    while frame["type"] != "notification.deleted":
        assert frame["type"].startswith("chat."), frame
        frame = await next_frame(socket)
    # The other conversation's notification is still unread.
    assert frame["data"] == {"id": str(gone.pk), "unread_count": 1}
