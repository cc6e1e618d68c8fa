"""Participants with no socket open are notified through `notifications`: one
unread notification per conversation that later messages fold into, none in a
muted conversation, none for the sender, withdrawn with a deleted message and,
for a member removed or leaving, their unread ones of that conversation."""

import pytest

from chat import services
from notifications.models import Kind, Notification
from realtime import presence
from tests.factories import group_conversation

pytestmark = pytest.mark.django_db


def send(committed, conversation, sender, body):
    return committed(
        services.send_message, sender=sender, conversation_id=conversation.pk, body=body
    ).message


def test_an_away_participant_gets_one_folded_notification(committed, direct, alice, bob):
    first = send(committed, direct, alice, "Are you there?")
    send(committed, direct, alice, "Hello?")
    rows = Notification.objects.filter(recipient=bob)
    assert rows.count() == 1
    row = rows.get()
    assert (row.kind, row.target_type, row.target_id) == (
        Kind.CHAT_MESSAGE,
        "chat.conversation",
        str(direct.pk),
    )
    assert row.data["excerpt"] == "Hello?" and row.data["conversation_id"] == str(direct.pk)
    assert row.actor_id == alice.pk and first.pk
    assert not Notification.objects.filter(recipient=alice).exists()


def test_muted_and_online_participants_are_not_notified(committed, group, alice, bob, carol):
    services.set_muted(user=bob, conversation_id=group.pk, muted=True)
    presence.mark_online(carol.pk, "test-channel")
    try:
        send(committed, group, alice, "Anyone?")
    finally:
        presence.mark_offline(carol.pk, "test-channel")
    assert not Notification.objects.filter(recipient__in=[bob, carol]).exists()
    send(committed, group, alice, "Now?")
    assert Notification.objects.filter(recipient=carol).count() == 1
    assert not Notification.objects.filter(recipient=bob).exists()


def test_a_deleted_message_takes_its_notification_with_it(committed, direct, alice, bob):
    message = send(committed, direct, alice, "Oops, wrong chat")
    assert Notification.objects.filter(recipient=bob).exists()
    committed(services.delete_message, actor=alice, message_id=message.pk)
    assert not Notification.objects.filter(recipient=bob).exists()


def test_nobody_is_notified_across_a_block_in_a_group(committed, group, alice, bob):
    from users import services as user_services

    user_services.block_user(blocker=bob, blocked=alice)
    send(committed, group, alice, "hi all")
    assert not Notification.objects.filter(recipient=bob).exists()


@pytest.mark.parametrize("leave", [False, True], ids=["removed", "left"])
def test_a_departing_member_loses_their_unread_chat_notifications(
    committed, group, alice, bob, carol, leave
):
    from django.utils import timezone

    send(committed, group, alice, "before")
    assert Notification.objects.filter(recipient=carol).count() == 1
    other = group_conversation(alice, carol, title="Other")
    send(committed, other, alice, "elsewhere")
    read = Notification.objects.filter(recipient=carol, target_id=str(other.pk)).get()
    if leave:
        committed(services.leave_conversation, user=carol, conversation_id=group.pk)
    else:
        committed(
            services.remove_participant, actor=alice, conversation_id=group.pk, user_id=carol.pk
        )
    assert not Notification.objects.filter(recipient=carol, target_id=str(group.pk)).exists()
    # Their other conversations' notifications, and the others' of this one, stay.
    assert Notification.objects.filter(pk=read.pk).exists()
    assert Notification.objects.filter(recipient=bob, target_id=str(group.pk)).count() == 1
    # A notification they already read is history: it stays.
    send(committed, other, alice, "again")
    Notification.objects.filter(recipient=carol).update(read_at=timezone.now())
    committed(services.leave_conversation, user=carol, conversation_id=other.pk)
    assert Notification.objects.filter(recipient=carol, target_id=str(other.pk)).count() == 1


def test_a_rejoined_member_is_notified_again(committed, group, alice, carol):
    services.remove_participant(actor=alice, conversation_id=group.pk, user_id=carol.pk)
    services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[carol.pk])
    send(committed, group, alice, "welcome back")
    row = Notification.objects.filter(recipient=carol).get()
    assert row.data["excerpt"] == "welcome back"
