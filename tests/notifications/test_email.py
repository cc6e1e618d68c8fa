"""Email per kind as the user chose, and the daily digest."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Kind, Notification, NotificationPreferences
from notifications.services import Target, notify
from notifications.services.preferences import update_preferences
from notifications.tasks import send_daily_digests
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def shipped(user, order="A-1"):
    notify(
        recipient_id=user.pk,
        kind=Kind.ORDER_SHIPPED,
        target=Target("commerce.order", order),
        data={"order_id": order},
        dedupe_key=f"order_shipped:{order}",
    )


def commented(user, text="Nice"):
    notify(
        recipient_id=user.pk,
        kind=Kind.COMMENT_ON_POST,
        actor_id=make_user().pk,
        data={"excerpt": text},
    )


def test_kinds_with_email_on_by_default_are_emailed(mailoutbox):
    user = make_user()

    shipped(user)

    [mail] = mailoutbox
    assert mail.to == [user.email]
    assert mail.subject == "Your order has shipped"
    assert "/notifications" in mail.body


def test_kinds_with_email_off_by_default_are_not(mailoutbox):
    commented(make_user())
    assert mailoutbox == []


def test_email_follows_the_users_choice(mailoutbox):
    user = make_user()
    update_preferences(
        user=user,
        kinds={"comment_on_post": {"email": True}, "order_shipped": {"email": False}},
    )

    shipped(user)
    commented(user, "Lovely photo")

    [mail] = mailoutbox
    assert mail.subject.endswith("commented on your post")
    assert "Lovely photo" in mail.body


def test_an_inactive_user_gets_no_email(mailoutbox):
    user = make_user(is_active=False)
    shipped(user)
    assert mailoutbox == []


def test_daily_digest_lists_what_is_unread_once_a_day(mailoutbox):
    reader, skipper, idle = make_user(), make_user(), make_user()
    update_preferences(user=reader, email_digest=True)
    update_preferences(user=idle, email_digest=True)
    for _ in range(3):
        commented(reader)
        commented(skipper)
    first = Notification.objects.filter(recipient=reader).order_by("created_at").first()
    first.read_at = timezone.now()
    first.save(update_fields=["read_at"])

    assert send_daily_digests() == 2

    [mail] = mailoutbox
    assert mail.to == [reader.email]
    assert mail.subject == "Your daily digest: 2 new"
    assert mail.body.count("commented on your post") == 2

    # The same day again: nothing twice.
    send_daily_digests()
    assert len(mailoutbox) == 1

    # A day later, only what came since.
    day_ago = timezone.now() - timedelta(days=1)
    Notification.objects.update(created_at=day_ago - timedelta(minutes=1))
    NotificationPreferences.objects.filter(user=reader).update(last_digest_at=day_ago)
    commented(reader)
    send_daily_digests()
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject == "Your daily digest: 1 new"


def test_digest_is_capped(mailoutbox, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DIGEST_MAX_ITEMS": 2}
    user = make_user()
    update_preferences(user=user, email_digest=True)
    for _ in range(4):
        commented(user)

    send_daily_digests()

    [mail] = mailoutbox
    assert mail.body.count("commented on your post") == 2
    assert "and more" in mail.body
