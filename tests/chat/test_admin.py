import pytest
from django.test import Client
from django.urls import reverse

from chat.models import MessageReport
from tests.factories import ModeratorFactory, chat_message, group_conversation
from users.models import User

from .conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(db):
    admin = User.objects.create_superuser(email="admin@example.com", password="admin-pass-123")
    client = Client()
    client.force_login(admin)
    return client


def test_conversation_pages_show_participants_inline(admin_client_):
    alice, bob = make_user(), make_user()
    group = group_conversation(alice, bob, title="Admin crew")
    changelist = admin_client_.get(reverse("admin:chat_conversation_changelist"), {"q": "Admin"})
    assert changelist.status_code == 200 and "Admin crew" in changelist.content.decode()
    change = admin_client_.get(reverse("admin:chat_conversation_change", args=[group.pk]))
    assert change.status_code == 200
    assert bob.email in change.content.decode() or str(bob.pk) in change.content.decode()


def test_messages_search_filter_by_conversation_and_hide(admin_client_):
    alice, bob = make_user(), make_user()
    one = group_conversation(alice, bob, title="one")
    two = group_conversation(alice, bob, title="two")
    here = chat_message(one, alice, "needle in one")
    chat_message(two, alice, "needle in two")
    url = reverse("admin:chat_message_changelist")
    found = admin_client_.get(url, {"q": "needle"}).content.decode()
    assert "needle in one" in found and "needle in two" in found
    only = admin_client_.get(url, {"conversation__id__exact": str(one.pk)})
    assert only.status_code == 200
    assert "needle in one" in only.content.decode()
    assert "needle in two" not in only.content.decode()
    response = admin_client_.post(
        url, {"action": "hide", "_selected_action": [str(here.pk)]}, follow=True
    )
    assert response.status_code == 200
    here.refresh_from_db()
    assert here.hidden_at is not None


def test_moderators_may_hide_through_the_admin():
    alice, bob = make_user(), make_user()
    group = group_conversation(alice, bob)
    message = chat_message(group, alice, "rude")
    MessageReport.objects.create(reporter=bob, message=message, reason="abuse")
    moderator = ModeratorFactory(is_staff=False)
    User.objects.filter(pk=moderator.pk).update(is_staff=True)  # admin login needs staff
    moderator.refresh_from_db()
    client = Client()
    client.force_login(moderator)
    url = reverse("admin:chat_messagereport_changelist")
    assert client.get(url).status_code == 200
    report = MessageReport.objects.get()
    client.post(url, {"action": "hide_message", "_selected_action": [str(report.pk)]})
    report.refresh_from_db()
    assert report.status == "resolved"
