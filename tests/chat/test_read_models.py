"""The schema's serializers cannot drift from what the read models serve."""

from chat.read_models import CONVERSATION, MESSAGE
from chat.serializers import ConversationSerializer, MessageSerializer, ParticipantSerializer
from core.read_model import serializer_drift


def test_message_serializer_is_the_read_model():
    assert serializer_drift(MESSAGE, MessageSerializer) == []


def test_conversation_serializer_is_the_read_model():
    assert serializer_drift(CONVERSATION, ConversationSerializer) == []


def test_participant_fields():
    assert list(ParticipantSerializer().fields) == [
        "id",
        "username",
        "avatar_url",
        "role",
        "online",
        "last_read_message_id",
    ]


def test_per_viewer_fields_never_reach_the_shared_part():
    assert CONVERSATION.viewer_names == {"unread_count", "muted"}
    assert MESSAGE.viewer_names == frozenset()
