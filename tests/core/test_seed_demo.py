from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.utils import timezone

from core.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS

pytestmark = pytest.mark.django_db

EMAILS = {u.email for u in DEMO_USERS}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_creates_the_demo_users_and_prints_them():
    output = seed()

    User = get_user_model()
    assert set(User.objects.values_list("email", flat=True)) == EMAILS
    assert DEMO_PASSWORD in output
    for email in EMAILS:
        assert email in output
        assert authenticate(email=email, password=DEMO_PASSWORD) is not None


def test_seed_gives_each_user_their_role():
    seed()
    User = get_user_model()

    admin = User.objects.get(email="admin@example.com")
    assert admin.is_staff and admin.is_superuser
    moderator = User.objects.get(email="mod@example.com")
    assert list(moderator.groups.values_list("name", flat=True)) == ["moderators"]
    assert not moderator.is_staff
    members = User.objects.filter(email__in=["alice@example.com", "bob@example.com"])
    assert [(u.is_staff, u.groups.count()) for u in members] == [(False, 0), (False, 0)]


def test_seed_is_idempotent_and_repairs_changed_users():
    seed()
    User = get_user_model()
    alice = User.objects.get(email="alice@example.com")
    alice.set_password("something-else-entirely")
    alice.is_active = False
    alice.save()
    mod = User.objects.get(email="mod@example.com")
    mod.suspended_until = timezone.now() + timedelta(days=1)
    mod.save()

    seed()

    assert User.objects.count() == len(DEMO_USERS)
    assert User.objects.get(email="mod@example.com").groups.count() == 1
    assert authenticate(email="mod@example.com", password=DEMO_PASSWORD) is not None
    assert authenticate(email="alice@example.com", password=DEMO_PASSWORD) is not None


def test_seeded_users_have_profiles():
    seed()
    User = get_user_model()

    for user in User.objects.select_related("profile"):
        assert user.profile.display_name


def test_seed_makes_demo_follows_once():
    seed()
    seed()
    User = get_user_model()
    alice = User.objects.select_related("profile").get(email="alice@example.com")

    assert alice.profile.follower_count == 2  # bob and carol
    assert alice.profile.following_count == 1  # bob
    assert alice.follower_set.count() == 2


def test_seeded_users_can_log_in_over_the_api(client):
    seed()

    response = client.post(
        "/api/v1/auth/login/",
        {"email": "alice@example.com", "password": DEMO_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["access"]
