"""Participants with no socket open are notified through `notifications`: one
unread notification per conversation that later messages fold into, none in a
muted conversation, none for the sender, withdrawn with a deleted message."""

import pytest

from chat import services
from core.realtime import presence
from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(func, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(**kwargs)

    return run


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
