"""Races with real parallel database connections (tests/concurrency.py)."""

import pytest

from chat import services
from chat.models import Conversation, ConversationParticipant, Message
from tests.concurrency import run_in_parallel
from tests.factories import direct_conversation

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.requires_postgres]


def test_two_people_starting_their_direct_at_once_get_the_same_one(alice, bob):
    results = []

    def start(user, other):
        return lambda: results.append(services.start_direct(user=user, other_id=other.pk))

    run_in_parallel([start(alice, bob), start(bob, alice), start(alice, bob), start(bob, alice)])
    assert Conversation.objects.count() == 1
    assert {conversation.pk for conversation, _ in results} == {Conversation.objects.get().pk}
    assert sum(created for _, created in results) == 1
    assert ConversationParticipant.objects.count() == 2


def test_the_same_send_racing_itself_is_stored_once(alice, bob):
    conversation = direct_conversation(alice, bob)
    results = []

    def send():
        results.append(
            services.send_message(
                sender=alice, conversation_id=conversation.pk, body="hi", client_ref="retry-1"
            )
        )

    run_in_parallel([send] * 4)
    assert Message.objects.count() == 1
    assert {message.pk for message, _ in results} == {Message.objects.get().pk}
    assert sum(created for _, created in results) == 1


def test_parallel_adds_never_pass_the_group_limit(alice, user_factory, settings):
    settings.CHAT_MAX_GROUP_SIZE = 3
    group = services.create_group(creator=alice, title="Small", participant_ids=[])
    newcomers = [user_factory() for _ in range(4)]

    def add(user):
        return lambda: services.add_participants(
            actor=alice, conversation_id=group.pk, user_ids=[user.pk]
        )

    from core.exceptions import InvalidInput

    run_in_parallel([add(u) for u in newcomers], expected=(InvalidInput,))
    assert (
        ConversationParticipant.objects.filter(conversation=group, left_at__isnull=True).count()
        == 3
    )


def test_parallel_read_markers_end_on_the_newest(alice, bob):
    conversation = direct_conversation(alice, bob)
    sent = [
        services.send_message(sender=alice, conversation_id=conversation.pk, body=f"m{n}").message
        for n in range(6)
    ]

    def mark(message):
        return lambda: services.mark_read(
            user=bob, conversation_id=conversation.pk, up_to=message.pk
        )

    run_in_parallel([mark(message) for message in reversed(sent)])
    marker = ConversationParticipant.objects.get(conversation=conversation, user=bob)
    assert marker.last_read_message_id == sent[-1].pk
