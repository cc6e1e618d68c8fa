"""users.auth.user_with_role: the bearer token's user, read by a prepared query.

Suspended and inactive users are refused in test_suspension.py; here: tokens
whose user id is not a UUID, users gone since the token was issued, the user
the prepared row builds, and the moderator flag read with it.
"""

import uuid

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from forum import moderation, services
from tests.clients import client_with
from tests.factories import ModeratorFactory, StaffFactory, SuperuserFactory, UserFactory
from users.auth import user_with_role
from users.models import User
from users.roles import revoke_moderator

from .conftest import API, assert_error, bearer_client

pytestmark = pytest.mark.django_db


def token_claiming(user_id) -> AccessToken:
    """A validly signed access token whose user claim is `user_id`."""
    token = AccessToken.for_user(UserFactory())
    token["user_id"] = user_id
    return token


@pytest.mark.parametrize("claim", ["not-a-uuid", "", 12345, "1234-5678"])
def test_a_token_whose_user_id_is_not_a_uuid_is_401(claim):
    response = client_with(token_claiming(claim)).get(f"{API}/users/me/")
    body = assert_error(response, 401, "token_not_valid")
    assert len(body["errors"]) == 1 and body["errors"][0]["attr"] is None
    assert body["type"] == "client_error"


def test_a_token_without_a_user_id_is_401():
    token = AccessToken.for_user(UserFactory())
    del token["user_id"]
    body = assert_error(client_with(token).get(f"{API}/users/me/"), 401, "token_not_valid")
    assert len(body["errors"]) == 1


def test_a_token_of_a_deleted_user_is_401_user_not_found():
    user = UserFactory()
    token = AccessToken.for_user(user)
    assert client_with(token).get(f"{API}/users/me/").status_code == 200
    user.delete()
    body = assert_error(client_with(token).get(f"{API}/users/me/"), 401, "user_not_found")
    assert len(body["errors"]) == 1
    # Never a user at all: the same answer.
    assert_error(
        client_with(token_claiming(str(uuid.uuid4()))).get(f"{API}/users/me/"),
        401,
        "user_not_found",
    )


def test_user_with_role_builds_the_user_as_the_orm_loads_it():
    user = UserFactory()
    loaded = user_with_role(user.pk)
    expected = User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert isinstance(loaded.pk, uuid.UUID) and loaded.date_joined.tzinfo is not None
    assert loaded._state.adding is False and loaded._state.db == "default"
    assert loaded.in_moderators_group is False
    # A loaded instance: saving updates the row rather than inserting one.
    loaded.last_login = timezone.now()
    loaded.save(update_fields=["last_login"])
    assert User.objects.get(pk=user.pk).last_login == loaded.last_login
    # The id as a token carries it (a string) reads the same user.
    assert user_with_role(str(user.pk)).pk == user.pk
    assert user_with_role(uuid.uuid4()) is None
    with pytest.raises(ValueError):
        user_with_role("not-a-uuid")


def test_user_with_role_reads_the_moderators_group():
    member, moderator, staff = UserFactory(), ModeratorFactory(), StaffFactory()
    assert user_with_role(member.pk).in_moderators_group is False
    assert user_with_role(moderator.pk).in_moderators_group is True
    # `is_staff` alone makes no moderator.
    staff_user = user_with_role(staff.pk)
    assert staff_user.in_moderators_group is False and staff_user.is_staff is True
    assert not staff_user.is_moderator


@pytest.fixture
def hidden_post():
    author = UserFactory()
    post = services.create_post(author=author, content="hidden soon")
    moderation.hide_post(post=post, moderator=SuperuserFactory())
    return post


def feed_ids(user) -> list[str]:
    response = bearer_client(user).get(f"{API}/forum/posts/")
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["posts"]]


def test_the_moderator_flag_read_with_the_user_decides_the_feed(hidden_post):
    moderator, member = ModeratorFactory(), UserFactory()
    superuser, staff = SuperuserFactory(), StaffFactory()
    assert str(hidden_post.pk) in feed_ids(moderator)
    assert str(hidden_post.pk) in feed_ids(superuser)
    assert str(hidden_post.pk) not in feed_ids(member)
    # Shop staff and other `is_staff` users are no moderators.
    assert str(hidden_post.pk) not in feed_ids(staff)
    # Read on every request: a revoked moderator stops seeing it at once, with
    # the token they already hold.
    token = AccessToken.for_user(moderator)
    revoke_moderator(User.objects.get(pk=moderator.pk))
    response = client_with(token).get(f"{API}/forum/posts/")
    assert str(hidden_post.pk) not in [item["id"] for item in response.json()["posts"]]
