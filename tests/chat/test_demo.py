"""Chat's demo data: made once, through the services, visible over REST."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from chat.demo import DIRECT_MESSAGES, GROUP_MESSAGES
from chat.models import Conversation, Message
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_makes_the_conversations_once():
    assert "Demo chat: 2 conversations" in seed()
    seed()
    assert Conversation.objects.count() == 2
    assert Message.objects.count() == len(DIRECT_MESSAGES) + len(GROUP_MESSAGES)


def test_a_demo_users_conversation_list_is_not_empty():
    seed()
    client = APIClient()
    client.force_authenticate(User.objects.get(email="bob@example.com"))
    listed = client.get("/api/chat/conversations/").json()["conversations"]
    assert {c["kind"] for c in listed} == {"direct", "group"}
    by_kind = {c["kind"]: c for c in listed}
    assert by_kind["direct"]["unread_count"] == 1
    assert by_kind["group"]["last_message"]["body"] == GROUP_MESSAGES[-1].body
