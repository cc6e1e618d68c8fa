from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from realtime.groups import user_group
from tests.factories import ModeratorFactory, StaffFactory, SuperuserFactory, UserFactory
from users import services
from users.roles import MODERATORS_GROUP

from .conftest import API, assert_error


def login(client, email, password):
    return client.post(f"{API}/auth/login/", {"email": email, "password": password}, format="json")


def suspend(user, days=1, reason="spam"):
    return services.suspend_user(
        user=user, until=timezone.now() + timedelta(days=days), reason=reason
    )


@pytest.mark.django_db
def test_suspended_user_refused_everywhere(anon, user, password):
    tokens = login(anon, user.email, password).json()
    me = f"{API}/users/me/"
    assert anon.get(me, HTTP_AUTHORIZATION=f"Bearer {tokens['access']}").status_code == 200

    suspend(user)

    assert_error(login(anon, user.email, password), 401, "account_suspended")
    assert_error(
        anon.post(f"{API}/auth/token/refresh/", {"refresh": tokens["refresh"]}),
        401,
        "account_suspended",
    )
    # The access token they still hold is refused too.
    body = assert_error(
        anon.get(me, HTTP_AUTHORIZATION=f"Bearer {tokens['access']}"), 401, "account_suspended"
    )
    assert len(body["errors"]) == 1


@pytest.mark.django_db
def test_wrong_password_of_suspended_user_does_not_reveal_the_suspension(anon, user):
    suspend(user)
    assert_error(login(anon, user.email, "wrong"), 400, "invalid_credentials")


@pytest.mark.django_db
def test_suspension_revokes_refresh_tokens_and_ends(anon, user, password):
    refresh = login(anon, user.email, password).json()["refresh"]
    suspend(user)
    services.unsuspend_user(user=user)
    # Lifted: login works again, but sessions from before the suspension stay closed.
    assert login(anon, user.email, password).status_code == 200
    assert_error(
        anon.post(f"{API}/auth/token/refresh/", {"refresh": refresh}), 401, "token_not_valid"
    )


@pytest.mark.django_db
def test_expired_suspension_no_longer_blocks(anon, user, password):
    user.suspended_until = timezone.now() - timedelta(seconds=1)
    user.save(update_fields=["suspended_until"])
    assert login(anon, user.email, password).status_code == 200


@pytest.mark.django_db
def test_inactive_user_refused(anon, user, password, client_of):
    client = client_of(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_error(login(anon, user.email, password), 401, "account_inactive")
    assert_error(client.get(f"{API}/users/me/"), 401, "account_inactive")


@pytest.mark.django_db
def test_suspend_rejects_past_or_naive_until(user):
    with pytest.raises(Exception) as past:
        services.suspend_user(user=user, until=timezone.now() - timedelta(hours=1))
    assert (past.value.field, past.value.code) == ("until", "not_future")
    with pytest.raises(Exception) as naive:
        services.suspend_user(
            user=user, until=timezone.now().replace(tzinfo=None) + timedelta(days=1)
        )
    assert (naive.value.field, naive.value.code) == ("until", "naive_datetime")


@pytest.mark.requires_redis
@pytest.mark.django_db
def test_suspension_closes_open_sockets(user, django_capture_on_commit_callbacks, listener):
    [channel] = listener.join(user_group(user.pk))
    with django_capture_on_commit_callbacks(execute=True):
        suspend(user)
    ended, message = listener.received([channel, channel], timeout=5)
    # Its subscriptions end first (`stream.ended`, reason `suspended`), then it closes.
    assert ended["type"] == "realtime.revoke" and ended["reason"] == "suspended"
    assert message["type"] == "realtime.disconnect"
    assert message["code"] == 4003


@pytest.mark.django_db
def test_moderators_group_has_its_permissions():
    group = Group.objects.get(name=MODERATORS_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_user", "suspend_user"} <= codenames
    moderator = ModeratorFactory()
    assert moderator.has_perm("users.suspend_user")
    assert moderator.is_moderator
    assert not UserFactory().is_moderator
    assert SuperuserFactory().is_moderator
    # `is_staff` alone grants nothing.
    staff = StaffFactory()
    assert not staff.is_moderator and not staff.has_perm("users.suspend_user")


@pytest.mark.django_db
def test_moderator_suspends_and_unsuspends_via_api(client_of, user, anon, password):
    moderator = client_of(ModeratorFactory())
    until = (timezone.now() + timedelta(days=3)).isoformat()
    response = moderator.post(f"{API}/users/{user.pk}/suspend/", {"until": until, "reason": "spam"})
    assert response.status_code == 200, response.content
    assert response.json()["is_suspended"] is True
    assert response.json()["suspension_reason"] == "spam"
    assert_error(login(anon, user.email, password), 401, "account_suspended")

    response = moderator.post(f"{API}/users/{user.pk}/unsuspend/")
    assert response.status_code == 200
    assert response.json()["is_suspended"] is False
    assert login(anon, user.email, password).status_code == 200


@pytest.mark.django_db
def test_members_cannot_suspend(client_of, user, other):
    until = (timezone.now() + timedelta(days=3)).isoformat()
    response = client_of(other).post(f"{API}/users/{user.pk}/suspend/", {"until": until})
    assert_error(response, 403, "permission_denied")
    assert_error(
        client_of(other).post(f"{API}/users/{user.pk}/unsuspend/"), 403, "permission_denied"
    )
    user.refresh_from_db()
    assert not user.is_suspended


@pytest.mark.django_db
def test_suspension_rules(client_of):
    moderator_user = ModeratorFactory()
    moderator = client_of(moderator_user)
    until = (timezone.now() + timedelta(days=3)).isoformat()
    assert_error(
        moderator.post(f"{API}/users/{moderator_user.pk}/suspend/", {"until": until}),
        400,
        "cannot_suspend_self",
    )
    staff = StaffFactory()
    assert_error(
        moderator.post(f"{API}/users/{staff.pk}/suspend/", {"until": until}),
        403,
        "permission_denied",
    )
    # Moderators are `is_staff` to log in to the admin; not one suspends another.
    fellow = ModeratorFactory(is_staff=True)
    assert_error(
        moderator.post(f"{API}/users/{fellow.pk}/suspend/", {"until": until}),
        403,
        "permission_denied",
    )
    assert_error(
        moderator.post(f"{API}/users/{UserFactory().pk}/suspend/", {"until": "yesterday"}),
        400,
        "invalid",
        attr="until",
    )
    # `is_staff` alone may not suspend anyone; a superuser may suspend a moderator.
    assert_error(
        client_of(staff).post(f"{API}/users/{UserFactory().pk}/suspend/", {"until": until}),
        403,
        "permission_denied",
    )
    superuser = client_of(SuperuserFactory())
    response = superuser.post(f"{API}/users/{moderator_user.pk}/suspend/", {"until": until})
    assert response.status_code == 200


@pytest.mark.django_db
def test_unauthenticated_cannot_suspend(user):
    assert_error(APIClient().post(f"{API}/users/{user.pk}/suspend/", {}), 401, "not_authenticated")


@pytest.mark.django_db
@pytest.mark.parametrize("moderator", [True, False])
def test_bearer_auth_reads_the_moderator_role_with_the_user(moderator, django_assert_num_queries):
    from rest_framework.test import APIRequestFactory
    from rest_framework_simplejwt.tokens import AccessToken

    from users.auth import JWTAuthentication
    from users.roles import grant_moderator, is_moderator

    user = UserFactory()
    if moderator:
        grant_moderator(user)
    request = APIRequestFactory().get(
        "/", HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}"
    )
    with django_assert_num_queries(1):
        authed, _ = JWTAuthentication().authenticate(request)
        assert is_moderator(authed) is moderator
