"""The shared cache of public profiles: fresh after every write, `is_following` never shared."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.factories import UserFactory
from users import cache as profile_cache
from users import services
from users.models import User

from .conftest import API, assert_error
from .test_avatar_and_media import image_bytes, post_avatar

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"
DEFAULT_AVATAR = "static/users/default-avatar.png"


@pytest.fixture
def target(db):
    return UserFactory(username="target")


def profile(client, user):
    response = client.get(f"{API}/users/{user.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


def cached_entry(user):
    version = profile_cache._profiles.current_version(user.pk)
    return cache.get(f"users:profile:{user.pk}:{version}:{ORIGIN}")


def test_a_hit_reads_no_profile_row_and_never_costs_more_than_a_miss(
    client_of, user, target, django_assert_max_num_queries
):
    client = client_of(user)
    with django_assert_max_num_queries(10) as miss:
        first = profile(client, target)
    with django_assert_max_num_queries(len(miss.captured_queries)) as hit:
        assert profile(client, target) == first
    # The miss joined the profile; the hit only asked whether the caller follows.
    assert any("users_profile" in q["sql"] for q in miss.captured_queries)
    assert not any("users_profile" in q["sql"] for q in hit.captured_queries)


def test_two_viewers_get_their_own_is_following_from_one_shared_entry(
    client_of, user, other, target
):
    services.follow(follower=user, followee=target)
    as_follower = profile(client_of(user), target)  # fills the cache
    entry = cached_entry(target)
    assert entry is not None and "is_following" not in entry
    as_stranger = profile(client_of(other), target)
    assert cached_entry(target) == entry  # served from the entry, not refilled
    assert (as_follower["is_following"], as_stranger["is_following"]) == (True, False)
    assert {k: v for k, v in as_follower.items() if k != "is_following"} == {
        k: v for k, v in as_stranger.items() if k != "is_following"
    }
    assert profile(client_of(user), target)["is_following"] is True


def test_a_cached_profile_renders_exactly_like_an_uncached_one(client_of, user, target, settings):
    client = client_of(user)
    profile(client, target)
    cached = client.get(f"{API}/users/{target.pk}/")
    settings.USERS = {**settings.USERS, "PROFILE_CACHE_SECONDS": 0}
    assert cached.content == client.get(f"{API}/users/{target.pk}/").content


def test_a_read_right_after_a_follow_shows_both_counters(client_of, user, other, target):
    assert profile(client_of(other), target)["follower_count"] == 0
    assert profile(client_of(other), user)["following_count"] == 0
    assert client_of(user).post(f"{API}/users/{target.pk}/follow/").status_code == 200
    followed = profile(client_of(other), target)
    assert (followed["follower_count"], followed["is_following"]) == (1, False)
    assert profile(client_of(user), target)["is_following"] is True
    assert profile(client_of(other), user)["following_count"] == 1
    assert client_of(user).delete(f"{API}/users/{target.pk}/follow/").status_code == 200
    assert profile(client_of(other), target)["follower_count"] == 0
    assert profile(client_of(other), user)["following_count"] == 0


def test_a_read_right_after_an_edit_shows_it(client_of, user, target):
    profile(client_of(user), target)
    edit = {"bio": "Fresh words", "display_name": "Tee", "username": "renamed"}
    assert client_of(target).patch(f"{API}/users/me/", edit).status_code == 200
    shown = profile(client_of(user), target)
    assert (shown["bio"], shown["display_name"], shown["username"]) == (
        "Fresh words",
        "Tee",
        "renamed",
    )


def test_a_read_right_after_an_avatar_change_shows_it(client_of, user, target, media_root):
    assert profile(client_of(user), target)["avatar_url"] == f"{ORIGIN}/{DEFAULT_AVATAR}"
    assert post_avatar(client_of(target), image_bytes()).status_code == 200
    avatar_url = profile(client_of(user), target)["avatar_url"]
    assert avatar_url and avatar_url.startswith(f"{ORIGIN}/")
    assert client_of(target).delete(f"{API}/users/me/avatar/").status_code == 204
    assert profile(client_of(user), target)["avatar_url"] == f"{ORIGIN}/{DEFAULT_AVATAR}"


def test_a_read_right_after_a_post_shows_the_post_count(client_of, user, target):
    assert profile(client_of(user), target)["post_count"] == 0
    response = client_of(target).post(
        f"{API}/forum/posts/", {"content": "hello", "tags": ["news"]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert profile(client_of(user), target)["post_count"] == 1
    assert (
        client_of(target).delete(f"{API}/forum/posts/{response.json()['id']}/").status_code == 204
    )
    assert profile(client_of(user), target)["post_count"] == 0


def test_suspension_and_deactivation_take_a_cached_profile_away_at_once(client_of, user, target):
    profile(client_of(user), target)
    services.suspend_user(user=target, until=timezone.now() + timedelta(days=1))
    assert_error(client_of(user).get(f"{API}/users/{target.pk}/"), 404, "not_found")
    services.unsuspend_user(user=target)
    assert profile(client_of(user), target)["username"] == "target"
    # Written without any service (an admin form, a script): still gone at once.
    User.objects.filter(pk=target.pk).update(is_active=False)
    assert_error(client_of(user).get(f"{API}/users/{target.pk}/"), 404, "not_found")
    User.objects.filter(pk=target.pk).delete()
    assert_error(client_of(user).get(f"{API}/users/{target.pk}/"), 404, "not_found")


def test_a_lapsed_suspension_needs_no_write_to_show_the_profile_again(client_of, user, target):
    User.objects.filter(pk=target.pk).update(suspended_until=timezone.now() + timedelta(days=1))
    assert_error(client_of(user).get(f"{API}/users/{target.pk}/"), 404, "not_found")
    User.objects.filter(pk=target.pk).update(suspended_until=timezone.now() - timedelta(seconds=1))
    assert profile(client_of(user), target)["id"] == str(target.pk)


def test_a_profile_read_before_a_write_is_never_served_after_it(client_of, user, target):
    """The race the version key closes: read version, write, store the stale entry."""
    stale_version = profile_cache._profiles.current_version(target.pk)
    stale = profile(client_of(user), target)
    services.update_profile(user=target, bio="newer")
    profile_cache._profiles.set(target.pk, stale_version, stale, ORIGIN)
    assert profile_cache._profiles.current_version(target.pk) != stale_version
    assert profile(client_of(user), target)["bio"] == "newer"
