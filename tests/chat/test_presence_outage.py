"""Presence is best effort: with its Redis unreachable a chat send is stored and
the offline notification is decided without it (everyone counts as away), and
no other caller of presence fails for it."""

import pytest

from chat.models import Message
from core import degraded
from notifications.models import Kind, Notification
from notifications.services import delivery
from realtime import presence
from tests.redis_server import free_port

from .conftest import client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/chat"


@pytest.fixture
def presence_unreachable(settings):
    """The realtime store (presence, event log) on a port nothing listens on."""
    degraded.reset()
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_OUTAGE_BACKOFF_SECONDS = 0
    yield
    degraded.reset()


def test_send_over_rest_is_201_and_notifies_everyone_as_away(
    presence_unreachable, alice, bob, carol, group, django_capture_on_commit_callbacks
):
    degraded.reset()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(
            f"{API}/conversations/{group.pk}/messages/", {"body": "hi"}
        )

    assert response.status_code == 201, response.content
    assert Message.objects.filter(pk=response.json()["id"], body="hi").exists()
    notified = Notification.objects.filter(kind=Kind.CHAT_MESSAGE).values_list(
        "recipient_id", flat=True
    )
    assert sorted(notified) == sorted([bob.pk, carol.pk])
    assert degraded.is_down("realtime_store")


def test_presence_readers_answer_nobody_online(presence_unreachable, alice, bob):
    assert presence.online_users([alice.pk, bob.pk]) == set()
    assert presence.is_online(alice.pk) is False
    assert delivery.presence.is_online(bob.pk) is False


def test_conversation_list_answers_with_everyone_offline(presence_unreachable, alice, group):
    response = client_for(alice).get(f"{API}/conversations/")

    assert response.status_code == 200, response.content
    participants = response.json()["conversations"][0]["participants"]
    assert participants and not any(p["online"] for p in participants)
