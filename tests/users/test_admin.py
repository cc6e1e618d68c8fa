import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import FollowFactory, UserFactory
from users.models import Follow, Profile, User


@pytest.fixture
def admin_client_(db):
    admin = User.objects.create_superuser(email="admin@example.com", password="admin-pass-123")
    client = Client()
    client.force_login(admin)
    return client


@pytest.mark.django_db
def test_user_changelist_and_change_page_render(admin_client_):
    user = UserFactory(display_name="Searchable Person")
    changelist = admin_client_.get(reverse("admin:users_user_changelist"), {"q": "Searchable"})
    assert changelist.status_code == 200
    assert user.email in changelist.content.decode()
    filtered = admin_client_.get(reverse("admin:users_user_changelist"), {"suspended": "yes"})
    assert user.email not in filtered.content.decode()
    change = admin_client_.get(reverse("admin:users_user_change", args=[user.pk]))
    assert change.status_code == 200
    assert "Searchable Person" in change.content.decode()  # the profile inline


@pytest.mark.django_db
def test_admin_add_user_creates_profile_and_handle(admin_client_):
    response = admin_client_.post(
        reverse("admin:users_user_add"),
        {
            "email": "New.Person@Example.com",
            "username": "",
            "password1": "a-long-admin-set-passphrase",
            "password2": "a-long-admin-set-passphrase",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.person@example.com")
    assert user.username == "new.person"
    assert Profile.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_admin_suspend_and_unsuspend_actions(admin_client_):
    users = [UserFactory(), UserFactory()]
    url = reverse("admin:users_user_changelist")
    ids = [str(u.pk) for u in users]
    response = admin_client_.post(url, {"action": "suspend_7_days", "_selected_action": ids})
    assert response.status_code == 302
    assert all(User.objects.get(pk=u.pk).is_suspended for u in users)
    admin_client_.post(url, {"action": "unsuspend", "_selected_action": ids})
    assert not any(User.objects.get(pk=u.pk).is_suspended for u in users)


@pytest.mark.django_db
def test_follow_admin_deletes_through_the_service(admin_client_):
    follow = FollowFactory()
    assert admin_client_.get(reverse("admin:users_follow_changelist")).status_code == 200
    response = admin_client_.post(
        reverse("admin:users_follow_delete", args=[follow.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Follow.objects.exists()
    assert Profile.objects.get(pk=follow.followee_id).follower_count == 0
    assert Profile.objects.get(pk=follow.follower_id).following_count == 0
