"""chat.services against the database: the rules REST and the socket share."""

import pytest
from django.utils import timezone

from chat import services
from chat.models import Conversation, ConversationParticipant, Kind, Message, Role
from core.exceptions import Forbidden, InvalidInput, NotFound
from tests.factories import group_conversation
from users import services as user_services

pytestmark = pytest.mark.django_db


def test_start_direct_returns_the_one_conversation_of_two(alice, bob):
    first, created = services.start_direct(user=alice, other_id=bob.pk)
    again, created_again = services.start_direct(user=bob, other_id=alice.pk)
    assert created and not created_again
    assert first.pk == again.pk
    assert first.kind == Kind.DIRECT
    assert Conversation.objects.count() == 1


def test_start_direct_refuses_self_and_unknown_users(alice, user_factory):
    with pytest.raises(InvalidInput) as exc:
        services.start_direct(user=alice, other_id=alice.pk)
    assert exc.value.field == "participant_ids"
    with pytest.raises(InvalidInput) as exc:
        services.start_direct(user=alice, other_id="5d8f3f0e-2c1b-4f5e-9a53-6b0c1f7e2a10")
    assert exc.value.code == "does_not_exist"


def test_start_direct_with_someone_who_blocked_me_is_unknown(alice, bob):
    user_services.block_user(blocker=bob, blocked=alice)
    with pytest.raises(InvalidInput):
        services.start_direct(user=alice, other_id=bob.pk)
    with pytest.raises(Forbidden) as exc:
        services.start_direct(user=bob, other_id=alice.pk)
    assert exc.value.code == "user_blocked"


def test_group_creator_is_owner_and_size_is_limited(alice, bob, carol, settings):
    group = services.create_group(creator=alice, title="Crew", participant_ids=[bob.pk, carol.pk])
    roles = dict(group.participants.values_list("user_id", "role"))
    assert roles == {alice.pk: Role.OWNER, bob.pk: Role.MEMBER, carol.pk: Role.MEMBER}
    settings.CHAT_MAX_GROUP_SIZE = 2
    with pytest.raises(InvalidInput) as exc:
        services.create_group(creator=alice, title="Crew", participant_ids=[bob.pk, carol.pk])
    assert exc.value.code == "group_too_large"


def test_adding_twice_is_a_clear_400(group, alice, bob, user_factory):
    with pytest.raises(InvalidInput) as exc:
        services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[bob.pk])
    assert (exc.value.code, exc.value.field) == ("already_participant", "user_ids")
    dave = user_factory()
    services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[dave.pk])
    assert group.participants.filter(user=dave, left_at__isnull=True).exists()


def test_members_cannot_add_or_remove(group, bob, carol, user_factory):
    with pytest.raises(Forbidden):
        services.add_participants(actor=bob, conversation_id=group.pk, user_ids=[user_factory().pk])
    with pytest.raises(Forbidden):
        services.remove_participant(actor=bob, conversation_id=group.pk, user_id=carol.pk)


def test_owner_leaving_promotes_the_oldest_admin_else_member(alice, bob, carol, user_factory):
    dave = user_factory()
    group = group_conversation(alice, bob, carol, dave)
    ConversationParticipant.objects.filter(conversation=group, user=dave).update(role=Role.ADMIN)
    services.leave_conversation(user=alice, conversation_id=group.pk)
    assert group.participants.get(user=dave).role == Role.OWNER
    services.leave_conversation(user=dave, conversation_id=group.pk)
    # No admin left: the oldest member (Bob joined with Carol; ties by id).
    owners = group.participants.filter(role=Role.OWNER, left_at__isnull=True)
    assert owners.count() == 1


def test_removed_member_cannot_read_or_send(group, alice, bob, send):
    services.remove_participant(actor=alice, conversation_id=group.pk, user_id=bob.pk)
    with pytest.raises(NotFound):
        send(group, bob)


def test_send_is_idempotent_on_client_ref(direct, alice):
    first, created = services.send_message(
        sender=alice, conversation_id=direct.pk, body="Hi", client_ref="c-1"
    )
    again, created_again = services.send_message(
        sender=alice, conversation_id=direct.pk, body="Hi", client_ref="c-1"
    )
    assert created and not created_again and first.pk == again.pk
    assert Message.objects.count() == 1


def test_send_refusals(direct, alice, bob, settings):
    with pytest.raises(InvalidInput) as exc:
        services.send_message(sender=alice, conversation_id=direct.pk, body="  ")
    assert (exc.value.code, exc.value.field) == ("blank", "body")
    settings.CHAT_MAX_MESSAGE_LENGTH = 5
    with pytest.raises(InvalidInput) as exc:
        services.send_message(sender=alice, conversation_id=direct.pk, body="123456")
    assert exc.value.code == "max_length"
    user_services.block_user(blocker=bob, blocked=alice)
    with pytest.raises(Forbidden) as exc:
        services.send_message(sender=alice, conversation_id=direct.pk, body="hey")
    assert exc.value.code == "user_blocked"


def test_suspended_cannot_send(direct, alice):
    alice.suspended_until = timezone.now() + timezone.timedelta(days=1)
    with pytest.raises(Forbidden) as exc:
        services.send_message(sender=alice, conversation_id=direct.pk, body="hey")
    assert exc.value.code == "account_suspended"


def test_read_marker_only_moves_forward(direct, alice, bob, send):
    first = send(direct, alice, "one")
    second = send(direct, alice, "two")
    state = services.mark_read(user=bob, conversation_id=direct.pk, up_to=second.pk)
    assert (state.last_read_message_id, state.unread_count) == (second.pk, 0)
    state = services.mark_read(user=bob, conversation_id=direct.pk, up_to=first.pk)
    assert state.last_read_message_id == second.pk
    third = send(direct, alice, "three")
    state = services.mark_read(user=bob, conversation_id=direct.pk, up_to=first.pk)
    assert (state.last_read_message_id, state.unread_count) == (second.pk, 1)
    state = services.mark_read(
        user=bob, conversation_id=direct.pk, message_ids=[first.pk, third.pk]
    )
    assert state.last_read_message_id == third.pk


def test_delete_leaves_a_placeholder(direct, alice, bob, send):
    message = send(direct, alice, "oops")
    with pytest.raises(Forbidden):
        services.delete_message(actor=bob, message_id=message.pk)
    services.delete_message(actor=alice, message_id=message.pk)
    message.refresh_from_db()
    assert message.deleted_at is not None and message.body == ""


def test_co_participants_are_who_shares_a_current_conversation(alice, bob, carol, user_factory):
    from chat.selectors import co_participant_ids

    dave, eve = user_factory(), user_factory()
    services.start_direct(user=alice, other_id=bob.pk)
    group = group_conversation(alice, carol, dave)
    services.remove_participant(actor=alice, conversation_id=group.pk, user_id=dave.pk)
    assert co_participant_ids(alice.pk) == {bob.pk, carol.pk}
    assert co_participant_ids(dave.pk) == set()
    assert co_participant_ids(eve.pk) == set()


def test_what_stops_a_send_stops_an_edit(direct, alice, bob, send):
    mine = send(direct, alice, "hi")
    alice.suspended_until = timezone.now() + timezone.timedelta(days=1)
    with pytest.raises(Forbidden) as exc:
        services.edit_message(editor=alice, message_id=mine.pk, body="changed")
    assert exc.value.code == "account_suspended"
    alice.suspended_until = None
    user_services.block_user(blocker=bob, blocked=alice)
    with pytest.raises(Forbidden) as exc:
        services.edit_message(editor=alice, message_id=mine.pk, body="changed")
    assert exc.value.code == "user_blocked"
    # Taking one's words back stays possible.
    assert services.delete_message(actor=alice, message_id=mine.pk).is_deleted
