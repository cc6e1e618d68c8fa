import pytest

from tests.factories import FollowFactory, UserFactory

from .conftest import API, assert_error

PUBLIC_FIELDS = {
    "id",
    "username",
    "display_name",
    "bio",
    "avatar_url",
    "post_count",
    "follower_count",
    "following_count",
    "is_following",
    "date_joined",
}


@pytest.mark.django_db
def test_me_shows_own_account(client_of, user):
    body = client_of(user).get(f"{API}/users/me/").json()
    assert body["id"] == str(user.pk)
    assert body["email"] == user.email
    assert body["username"] == user.username
    assert body["display_name"] == user.profile.display_name
    assert body["avatar_url"] == "http://testserver/static/users/default-avatar.png"
    assert body["is_moderator"] is False


@pytest.mark.django_db
def test_patch_me_edits_profile_but_not_email(client_of, user):
    client = client_of(user)
    response = client.patch(
        f"{API}/users/me/",
        {"username": "New.Name", "display_name": "New <b>Name</b>", "bio": "Hi", "email": "x@y.z"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == "New.Name"
    assert body["display_name"] == "New Name"  # markup stripped
    assert body["bio"] == "Hi"
    assert body["email"] == user.email
    user.refresh_from_db()
    assert user.email != "x@y.z"
    assert user.profile.bio == "Hi"


@pytest.mark.django_db
def test_patch_me_validates(client_of, user, other):
    client = client_of(user)
    assert_error(
        client.patch(f"{API}/users/me/", {"username": other.username.upper()}, format="json"),
        400,
        "username_taken",
        attr="username",
    )
    assert_error(
        client.patch(f"{API}/users/me/", {"username": "bad name"}, format="json"),
        400,
        "invalid_username",
        attr="username",
    )
    assert_error(
        client.patch(f"{API}/users/me/", {"bio": "x" * 501}, format="json"),
        400,
        "max_length",
        attr="bio",
    )
    # Keeping your own name in another case is not "taken".
    ok = client.patch(f"{API}/users/me/", {"username": user.username.upper()}, format="json")
    assert ok.status_code == 200


@pytest.mark.django_db
def test_public_profile(client_of, user, other):
    FollowFactory(follower=user, followee=other)
    response = client_of(user).get(f"{API}/users/{other.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PUBLIC_FIELDS
    assert "email" not in body
    assert body["follower_count"] == 1
    assert body["following_count"] == 0
    assert body["is_following"] is True
    assert client_of(other).get(f"{API}/users/{user.pk}/").json()["is_following"] is False


@pytest.mark.django_db
def test_profile_edit_only_your_own(client_of, user, other):
    response = client_of(other).patch(f"{API}/users/{user.pk}/", {"bio": "hacked"}, format="json")
    assert_error(response, 403, "permission_denied")
    user.profile.refresh_from_db()
    assert user.profile.bio != "hacked"
    own = client_of(user).patch(f"{API}/users/{user.pk}/", {"bio": "mine"}, format="json")
    assert own.status_code == 200
    assert own.json()["bio"] == "mine"


@pytest.mark.django_db
def test_inactive_and_unknown_users_are_404(client_of, user):
    gone = UserFactory(is_active=False)
    assert_error(client_of(user).get(f"{API}/users/{gone.pk}/"), 404, "not_found")
    assert_error(client_of(user).post(f"{API}/users/{gone.pk}/follow/"), 404, "not_found")
    assert_error(
        client_of(user).get(f"{API}/users/00000000-0000-0000-0000-000000000000/"), 404, "not_found"
    )


@pytest.mark.django_db
def test_profile_needs_auth(anon, user):
    assert_error(anon.get(f"{API}/users/{user.pk}/"), 401, "not_authenticated")
    assert_error(anon.get(f"{API}/users/{user.pk}/followers/"), 401, "not_authenticated")
