"""Each chat service emits exactly its events, to exactly the current participants,
through their per-user event logs (what `?since=` resume replays)."""

import json

import pytest

from chat import events, services
from realtime import eventlog
from tests.factories import chat_message

pytestmark = pytest.mark.django_db


def logged(user) -> list[tuple[str, dict]]:
    """The chat events in the user's log (notifications have their own tests)."""
    entries = eventlog.read_since(user.pk, "0-0") or []
    return [(e.type, json.loads(e.data_json)) for e in entries if e.type.startswith("chat.")]


def types(user) -> list[str]:
    return [t for t, _ in logged(user)]


def test_every_chat_event_is_declared():
    assert {
        events.MESSAGE_NEW,
        events.MESSAGE_UPDATED,
        events.MESSAGE_DELETED,
        events.MESSAGE_READ,
        events.CONVERSATION_UPDATED,
    } == {
        "chat.message.new",
        "chat.message.updated",
        "chat.message.deleted",
        "chat.message.read",
        "chat.conversation.updated",
    }


def test_a_new_group_tells_every_member(committed, alice, bob, carol, user_factory):
    outsider = user_factory()
    group = committed(
        services.create_group, creator=alice, title="Crew", participant_ids=[bob.pk, carol.pk]
    )
    for user in (alice, bob, carol):
        ((kind, data),) = logged(user)
        assert kind == "chat.conversation.updated" and data["id"] == str(group.pk)
        assert "unread_count" not in data and "muted" not in data
    assert logged(outsider) == []


def test_a_message_goes_to_every_participant_as_rest_shows_it(committed, direct, alice, bob, api):
    message, _ = committed(
        services.send_message, sender=alice, conversation_id=direct.pk, body="hi", client_ref="r"
    )
    rest = api(bob).get(f"/api/v1/chat/conversations/{direct.pk}/messages/").json()["messages"][0]
    for user in (alice, bob):
        kind, data = logged(user)[-1]
        assert kind == "chat.message.new"
        assert {**data, "sender": None} == {**rest, "sender": None}
        assert data["sender"]["id"] == str(alice.pk)
    # The same send again: nothing new goes out.
    committed(
        services.send_message, sender=alice, conversation_id=direct.pk, body="hi", client_ref="r"
    )
    assert types(bob).count("chat.message.new") == 1
    assert message.pk


def test_edit_delete_and_read_events(committed, direct, alice, bob):
    message = committed(chat_message, conversation=direct, sender=alice, body="tpyo")
    committed(services.edit_message, editor=alice, message_id=message.pk, body="typo")
    committed(services.delete_message, actor=alice, message_id=message.pk)
    committed(services.mark_read, user=bob, conversation_id=direct.pk, up_to=message.pk)
    # Not forward: no event.
    committed(services.mark_read, user=bob, conversation_id=direct.pk, up_to=message.pk)
    for user in (alice, bob):
        assert types(user)[-4:] == [
            "chat.message.new",
            "chat.message.updated",
            "chat.message.deleted",
            "chat.message.read",
        ]
        _, deleted = logged(user)[-2]
        assert (deleted["body"], deleted["is_deleted"]) == ("", True)
        _, read = logged(user)[-1]
        assert read == {
            "conversation_id": str(direct.pk),
            "user_id": str(bob.pk),
            "up_to": str(message.pk),
        }


def test_a_removed_member_is_told_once_then_nothing(committed, group, alice, bob, carol):
    committed(services.remove_participant, actor=alice, conversation_id=group.pk, user_id=bob.pk)
    kind, data = logged(bob)[-1]
    assert kind == "chat.conversation.updated"
    assert str(bob.pk) not in {p["id"] for p in data["participants"]}
    before = len(logged(bob))
    committed(chat_message, conversation=group, sender=carol, body="after")
    assert len(logged(bob)) == before
    assert types(alice)[-1] == "chat.message.new"


def test_hiding_sends_the_placeholder(committed, direct, alice, bob):
    from tests.factories import ModeratorFactory

    message = committed(chat_message, conversation=direct, sender=alice, body="rude")
    committed(services.hide_message, moderator=ModeratorFactory(), message_id=message.pk)
    kind, data = logged(bob)[-1]
    assert kind == "chat.message.deleted" and data["body"] == "" and data["is_deleted"]


def test_nothing_goes_out_when_the_send_fails(committed, direct, alice, bob):
    from core.exceptions import InvalidInput

    with pytest.raises(InvalidInput):
        committed(services.send_message, sender=alice, conversation_id=direct.pk, body="")
    assert "chat.message.new" not in types(bob)


def test_a_patch_of_title_and_avatar_is_one_change_told_once(committed, group, alice, bob):
    before = len(logged(bob))

    committed(
        services.update_conversation,
        actor=alice,
        conversation_id=group.pk,
        title="Renamed crew",
        avatar=None,
    )

    told = logged(bob)[before:]
    assert [kind for kind, _ in told] == ["chat.conversation.updated"]
    assert told[0][1]["title"] == "Renamed crew" and told[0][1]["avatar_url"] is None
