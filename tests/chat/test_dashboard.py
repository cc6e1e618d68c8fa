"""Chat on the staff dashboard: messages sent per day."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Message
from staff import dashboard
from tests.factories import chat_message, direct_conversation, make_user

pytestmark = pytest.mark.django_db


def test_messages_per_day(settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    alice, bob = make_user("alice"), make_user("bob")
    conversation = direct_conversation(alice, bob)
    chat_message(conversation, alice, "today")
    chat_message(conversation, bob, "today too")
    old = chat_message(conversation, bob, "three days ago")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))

    body = dashboard.figures(7)

    found = next(s for s in body["series"] if s["key"] == "chat_messages")
    points = {p["date"]: p["value"] for p in found["points"]}
    assert points[timezone.localdate().isoformat()] == 2
    assert points[(timezone.localdate() - timedelta(days=3)).isoformat()] == 1
    assert found["total"] == 3
