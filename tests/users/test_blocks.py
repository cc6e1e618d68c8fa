"""Blocking: the block itself, its API, and what it does to follows and profiles."""

import pytest
from django.db import IntegrityError, transaction

from core.exceptions import Conflict, NotFound
from tests.clients import all_pages
from tests.concurrency import run_in_parallel
from tests.factories import UserFactory
from users import services
from users.models import Block, Follow, Profile

from .conftest import API, assert_error


def counts(user) -> tuple[int, int]:
    profile = Profile.objects.get(pk=user.pk)
    return profile.follower_count, profile.following_count


def block_url(user) -> str:
    return f"{API}/users/{user.pk}/block/"


# --- the table -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_a_second_block_and_a_self_block(user, other):
    Block.objects.create(blocker=user, blocked=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(blocker=user, blocked=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(blocker=user, blocked=user)
    # The other way round is a different block.
    Block.objects.create(blocker=other, blocked=user)


# --- services ------------------------------------------------------------------------


@pytest.mark.django_db
def test_block_and_unblock_are_idempotent(user, other):
    assert services.block_user(blocker=user, blocked=other) is True
    assert services.block_user(blocker=user, blocked=other) is False
    assert Block.objects.filter(blocker=user, blocked=other).count() == 1
    assert services.unblock_user(blocker=user, blocked=other) is True
    assert services.unblock_user(blocker=user, blocked=other) is False
    assert not Block.objects.exists()


@pytest.mark.django_db
def test_blocking_removes_follows_both_ways_with_exact_counters(user, other):
    bystander = UserFactory()
    services.follow(follower=user, followee=other)
    services.follow(follower=other, followee=user)
    services.follow(follower=bystander, followee=user)
    services.follow(follower=other, followee=bystander)
    assert counts(user) == (2, 1) and counts(other) == (1, 2)

    services.block_user(blocker=user, blocked=other)

    assert not Follow.objects.filter(
        follower__in=[user, other], followee__in=[user, other]
    ).exists()
    assert counts(user) == (1, 0)
    assert counts(other) == (0, 1)
    assert counts(bystander) == (1, 1)
    # Blocking again moves nothing.
    services.block_user(blocker=user, blocked=other)
    assert counts(user) == (1, 0) and counts(other) == (0, 1)


@pytest.mark.django_db
def test_unblocking_does_not_bring_follows_back(user, other):
    services.follow(follower=other, followee=user)
    services.block_user(blocker=user, blocked=other)
    services.unblock_user(blocker=user, blocked=other)
    assert not Follow.objects.exists()
    assert counts(user) == (0, 0) and counts(other) == (0, 0)
    # ...but following again works, and counts.
    assert services.follow(follower=other, followee=user) is True
    assert counts(user) == (1, 0)


@pytest.mark.django_db
def test_follows_between_blocked_users_are_refused_without_moving_counters(user, other):
    services.block_user(blocker=user, blocked=other)
    # The blocked user: as if the blocker did not exist.
    with pytest.raises(NotFound):
        services.follow(follower=other, followee=user)
    # The blocker: unblock first.
    with pytest.raises(Conflict) as refused:
        services.follow(follower=user, followee=other)
    assert refused.value.code == "user_blocked"
    assert not Follow.objects.exists()
    assert counts(user) == (0, 0) and counts(other) == (0, 0)


@pytest.mark.django_db
def test_a_blocked_user_cannot_block_back(user, other):
    services.block_user(blocker=user, blocked=other)
    with pytest.raises(NotFound):
        services.block_user(blocker=other, blocked=user)
    assert list(Block.objects.values_list("blocker_id", flat=True)) == [user.pk]


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_follow_racing_a_block_never_survives_it():
    for _ in range(8):
        blocker, blocked = UserFactory(), UserFactory()
        run_in_parallel(
            [
                lambda b=blocker, d=blocked: services.block_user(blocker=b, blocked=d),
                lambda b=blocker, d=blocked: services.follow(follower=d, followee=b),
            ],
            expected=(NotFound, Conflict),
        )
        assert Block.objects.filter(blocker=blocker, blocked=blocked).exists()
        assert not Follow.objects.filter(follower=blocked, followee=blocker).exists()
        assert counts(blocker) == (0, 0) and counts(blocked) == (0, 0)


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_users_blocking_each_other_at_once_leave_one_block():
    for _ in range(8):
        one, two = UserFactory(), UserFactory()
        run_in_parallel(
            [
                lambda a=one, b=two: services.block_user(blocker=a, blocked=b),
                lambda a=one, b=two: services.block_user(blocker=b, blocked=a),
            ],
            expected=(NotFound, Conflict),
        )
        assert Block.objects.filter(blocker__in=[one, two]).count() == 1


# --- API -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["/api/v1", "/api"])
def test_block_endpoint_answers_the_state(client_of, user, other, prefix):
    client = client_of(user)
    url = f"{prefix}/users/{other.pk}/block/"
    for _ in range(2):
        response = client.post(url)
        assert response.status_code == 200, response.content
        assert response.json() == {"is_blocked": True}
    assert Block.objects.filter(blocker=user, blocked=other).count() == 1
    for _ in range(2):
        response = client.delete(url)
        assert response.status_code == 200, response.content
        assert response.json() == {"is_blocked": False}
    assert not Block.objects.exists()


@pytest.mark.django_db
def test_cannot_block_yourself(client_of, user):
    body = assert_error(client_of(user).post(block_url(user)), 400, "cannot_block_self")
    assert body["errors"][0]["attr"] is None
    assert not Block.objects.exists()


@pytest.mark.django_db
def test_block_needs_a_visible_user(client_of, anon, user, other):
    assert anon.post(block_url(other)).status_code == 401
    other.is_active = False
    other.save(update_fields=["is_active"])
    assert_error(client_of(user).post(block_url(other)), 404, "not_found")


@pytest.mark.django_db
def test_for_the_blocked_user_the_blocker_does_not_exist(client_of, user, other):
    client_of(user).post(block_url(other))
    blocked = client_of(other)
    for response in (
        blocked.get(f"{API}/users/{user.pk}/"),
        blocked.post(f"{API}/users/{user.pk}/follow/"),
        blocked.get(f"{API}/users/{user.pk}/followers/"),
        blocked.get(f"{API}/users/{user.pk}/following/"),
        blocked.post(block_url(user)),
    ):
        assert_error(response, 404, "not_found")
    # Exactly what a user who does not exist answers.
    gone = UserFactory()
    gone.delete()
    assert (
        blocked.get(f"{API}/users/{gone.pk}/").json()
        == blocked.get(f"{API}/users/{user.pk}/").json()
    )
    assert not Follow.objects.exists()


@pytest.mark.django_db
def test_the_blocker_still_sees_the_profile_but_cannot_follow(client_of, user, other):
    client = client_of(user)
    client.post(block_url(other))
    profile = client.get(f"{API}/users/{other.pk}/")
    assert profile.status_code == 200 and profile.json()["is_following"] is False
    assert_error(client.post(f"{API}/users/{other.pk}/follow/"), 409, "user_blocked")


@pytest.mark.django_db
def test_a_cached_profile_is_404_once_its_owner_blocks_you(client_of, user, other):
    viewer = client_of(other)
    url = f"{API}/users/{user.pk}/"
    assert viewer.get(url).status_code == 200  # now in the shared cache
    assert viewer.get(url).status_code == 200  # served from it
    services.block_user(blocker=user, blocked=other)
    # Others still get it, and put it back in the shared cache...
    assert client_of(UserFactory()).get(url).status_code == 200
    # ...from which the blocked user does not.
    assert viewer.get(url).status_code == 404
    services.unblock_user(blocker=user, blocked=other)
    assert viewer.get(url).status_code == 200


@pytest.mark.django_db
def test_block_over_http_removes_follows_and_the_profiles_show_it(client_of, user, other):
    services.follow(follower=other, followee=user)
    services.follow(follower=user, followee=other)
    client = client_of(user)
    assert client.get(f"{API}/users/me/").json()["follower_count"] == 1
    assert client.get(f"{API}/users/{other.pk}/").json()["follower_count"] == 1  # cached

    client.post(block_url(other))

    me = client.get(f"{API}/users/me/").json()
    assert (me["follower_count"], me["following_count"]) == (0, 0)
    seen = client.get(f"{API}/users/{other.pk}/").json()
    assert (seen["follower_count"], seen["following_count"], seen["is_following"]) == (0, 0, False)


@pytest.mark.django_db
def test_blocked_list_is_paginated_newest_first_and_private(client_of, user, other):
    blocked = [UserFactory() for _ in range(5)]
    for target in blocked:
        services.block_user(blocker=user, blocked=target)
    services.block_user(blocker=other, blocked=blocked[0])  # someone else's block
    client = client_of(user)

    first = client.get(f"{API}/users/me/blocked/?page_size=2")
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"users", "next_page", "previous_page", "next_cursor", "previous_cursor"}
    seen = [u["id"] for u in all_pages(client, body, "users")]
    assert seen == [str(u.pk) for u in reversed(blocked)]
    assert body["users"][0]["is_following"] is False

    services.unblock_user(blocker=user, blocked=blocked[4])
    remaining = client.get(f"{API}/users/me/blocked/").json()["users"]
    assert [u["id"] for u in remaining] == [str(u.pk) for u in reversed(blocked[:4])]
    assert client_of(UserFactory()).get(f"{API}/users/me/blocked/").json()["users"] == []


@pytest.mark.django_db
def test_blocked_list_costs_one_query_per_page(client_of, user, django_assert_num_queries):
    for _ in range(12):
        services.block_user(blocker=user, blocked=UserFactory())
    client = client_of(user)
    # auth user + one page query, whatever the page size
    with django_assert_num_queries(2):
        small = client.get(f"{API}/users/me/blocked/?page_size=2")
    with django_assert_num_queries(2):
        big = client.get(f"{API}/users/me/blocked/?page_size=12")
    assert len(small.json()["users"]) == 2 and len(big.json()["users"]) == 12


@pytest.mark.django_db
def test_lists_and_search_leave_out_users_who_blocked_you(client_of, user, other):
    blocker = UserFactory(username="hidden_blocker")
    services.follow(follower=blocker, followee=other)
    services.block_user(blocker=blocker, blocked=user)

    def followers_of_other(viewer):
        body = client_of(viewer).get(f"{API}/users/{other.pk}/followers/").json()
        return [u["id"] for u in body["users"]]

    def search(viewer):
        body = client_of(viewer).get(f"{API}/forum/search/", {"q": "hidden_blocker"}).json()
        return [u["id"] for u in body["users"]]

    assert followers_of_other(other) == search(other) == [str(blocker.pk)]
    assert followers_of_other(user) == search(user) == []
