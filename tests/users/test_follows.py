import random

import pytest

from tests.clients import all_pages
from tests.concurrency import run_in_parallel
from tests.factories import FollowFactory, UserFactory
from users import services
from users.models import Follow, Profile

from .conftest import API, assert_error


def counts(user) -> tuple[int, int]:
    profile = Profile.objects.get(pk=user.pk)
    return profile.follower_count, profile.following_count


@pytest.mark.django_db
def test_follow_and_unfollow_are_idempotent(client_of, user, other):
    client = client_of(user)
    url = f"{API}/users/{other.pk}/follow/"
    for _ in range(2):
        response = client.post(url)
        assert response.status_code == 200, response.content
        assert response.json() == {"following": True, "follower_count": 1}
    assert Follow.objects.filter(follower=user, followee=other).count() == 1
    assert counts(other) == (1, 0)
    assert counts(user) == (0, 1)

    for _ in range(2):
        response = client.delete(url)
        assert response.status_code == 200
        assert response.json() == {"following": False, "follower_count": 0}
    assert not Follow.objects.exists()
    assert counts(other) == (0, 0)
    assert counts(user) == (0, 0)


@pytest.mark.django_db
def test_cannot_follow_yourself(client_of, user):
    body = assert_error(
        client_of(user).post(f"{API}/users/{user.pk}/follow/"), 400, "cannot_follow_self"
    )
    assert body["errors"][0]["attr"] is None
    assert counts(user) == (0, 0)


@pytest.mark.django_db
def test_mutual_follows_keep_counts(user, other):
    services.follow(follower=user, followee=other)
    services.follow(follower=other, followee=user)
    assert counts(user) == (1, 1)
    assert counts(other) == (1, 1)


@pytest.mark.django_db
def test_followers_and_following_lists_are_paginated(client_of, user):
    followers = [UserFactory() for _ in range(5)]
    for follower in followers:
        FollowFactory(follower=follower, followee=user)
    services.follow(follower=user, followee=followers[0])
    # Follows elsewhere must not duplicate rows of these lists.
    bystander = UserFactory()
    for follower in followers:
        services.follow(follower=follower, followee=bystander)
    client = client_of(user)

    first = client.get(f"{API}/users/{user.pk}/followers/?page_size=2")
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"users", "next_page", "previous_page", "next_cursor", "previous_cursor"}
    assert body["previous_page"] is None
    seen = [u["id"] for u in all_pages(client, body, "users")]
    # Newest follow first, each once.
    assert seen == [str(f.pk) for f in reversed(followers)]

    all_followers = client.get(f"{API}/users/{user.pk}/followers/").json()["users"]
    by_id = {u["id"]: u for u in all_followers}
    assert by_id[str(followers[0].pk)]["is_following"] is True
    assert by_id[str(followers[1].pk)]["is_following"] is False

    following = client.get(f"{API}/users/{user.pk}/following/").json()
    assert [u["id"] for u in following["users"]] == [str(followers[0].pk)]
    assert following["next_page"] is None


@pytest.mark.django_db
def test_lists_hide_inactive_users(client_of, user):
    gone = UserFactory()
    FollowFactory(follower=gone, followee=user)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    body = client_of(user).get(f"{API}/users/{user.pk}/followers/").json()
    assert body["users"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", [1, 5, 20])
def test_list_query_count_is_constant(
    client_of, user, django_assert_num_queries, django_assert_max_num_queries, page_size
):
    for _ in range(20):
        follower = UserFactory()
        FollowFactory(follower=follower, followee=user)
        services.follow(follower=user, followee=follower)
    client = client_of(user)
    # auth user + target user + one page query, whatever the page size
    with django_assert_num_queries(3):
        response = client.get(f"{API}/users/{user.pk}/followers/?page_size={page_size}")
    assert len(response.json()["users"]) == page_size
    with django_assert_max_num_queries(3):
        client.get(f"{API}/users/{user.pk}/following/?page_size={page_size}")
    with django_assert_max_num_queries(2):
        client.get(f"{API}/users/{user.pk}/")


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_follows_keep_counters_exact():
    star = UserFactory()
    fans = [UserFactory() for _ in range(12)]
    # Every fan follows twice at once: races on the same pair and on the star's row.
    jobs = [
        (lambda fan=fan: services.follow(follower=fan, followee=star))
        for fan in fans
        for _ in range(2)
    ]
    run_in_parallel(jobs)
    assert Follow.objects.filter(followee=star).count() == len(fans)
    assert counts(star)[0] == len(fans)
    for fan in fans:
        assert counts(fan)[1] == 1


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_rapid_follow_unfollow_keeps_counters_exact():
    fan, star = UserFactory(), UserFactory()
    rng = random.Random(7)
    for _ in range(5):
        jobs = [
            (lambda: services.follow(follower=fan, followee=star))
            if rng.random() < 0.5
            else (lambda: services.unfollow(follower=fan, followee=star))
            for _ in range(10)
        ]
        run_in_parallel(jobs)
        rows = Follow.objects.filter(follower=fan, followee=star).count()
        assert rows in (0, 1)
        assert counts(star)[0] == rows
        assert counts(fan)[1] == rows


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_mutual_follows_at_once_do_not_deadlock():
    users = [UserFactory() for _ in range(4)]
    jobs = [
        (lambda a=a, b=b: services.follow(follower=a, followee=b))
        for a in users
        for b in users
        if a != b
    ]
    run_in_parallel(jobs)
    for user in users:
        assert counts(user) == (3, 3)
