"""`GET users/search/?q=`: the user search on its own route, in pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.clients import all_pages, client_for
from tests.factories import BlockFactory, make_user
from users.models import Profile, User

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/search/"


def named(username, display_name=""):
    user = make_user(username)
    Profile.objects.filter(user=user).update(display_name=display_name)
    return user


def usernames(viewer, q, **params) -> list[str]:
    client = client_for(viewer)
    response = client.get(URL, {"q": q, **params})
    assert response.status_code == 200, response.json()
    return [u["username"] for u in all_pages(client, response.json(), "users")]


@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
def test_finds_users_by_handle_and_display_name(prefix):
    viewer = make_user()
    named("alice_w", "Alice Wonder")
    named("bobby", "Robert Smith")
    response = client_for(viewer).get(f"{prefix}/users/search/", {"q": "Smith"})
    assert response.status_code == 200
    body = response.json()
    assert [u["username"] for u in body["users"]] == ["bobby"]
    assert body["users"][0]["display_name"] == "Robert Smith"
    assert body["users"][0]["is_following"] is False
    assert usernames(viewer, "alice") == ["alice_w"]


def test_hides_whom_the_forum_search_hides():
    viewer = make_user()
    named("climber_ok", "Climber")
    User.objects.filter(pk=named("climber_gone").pk).update(is_active=False)
    User.objects.filter(pk=named("climber_suspended").pk).update(
        suspended_until=timezone.now() + timedelta(days=1)
    )
    BlockFactory(blocker=named("climber_blocking"), blocked=viewer)
    forum = client_for(viewer).get("/api/v1/forum/search/", {"q": "climber", "type": "users"})
    assert usernames(viewer, "climber") == ["climber_ok"]
    assert [u["username"] for u in forum.json()["users"]] == ["climber_ok"]


def test_pages_every_match_once(settings, django_assert_max_num_queries):
    viewer = make_user()
    for index in range(7):
        named(f"rope{index}", "Rope Person")
    named("rope", "")
    client = client_for(viewer)
    with django_assert_max_num_queries(1):
        first = client.get(URL, {"q": "rope", "page_size": 3}).json()
    found = [u["username"] for u in all_pages(client, first, "users")]
    assert sorted(found) == sorted(["rope", *(f"rope{i}" for i in range(7))])
    assert len(found) == len(set(found))
    # The forum search shows the first FORUM_SEARCH_RESULTS of the same list.
    settings.FORUM = {**settings.FORUM, "SEARCH_RESULTS": 3}
    forum = client.get("/api/v1/forum/search/", {"q": "rope", "type": "users"}).json()
    assert forum["users"] == first["users"]


def test_query_count_does_not_grow_with_the_page(django_assert_max_num_queries):
    viewer = make_user()
    for index in range(30):
        named(f"hiker{index}", f"Hiker {index}")
    with django_assert_max_num_queries(1):
        body = client_for(viewer).get(URL, {"q": "hiker", "page_size": 30}).json()
    assert len(body["users"]) == 30


@pytest.mark.requires_postgres
def test_most_similar_first_and_ties_split_across_pages():
    viewer = make_user()
    named("walker")
    for index in range(5):
        named(f"walker{index}")  # equally similar to "walker": a tie across pages
    found = usernames(viewer, "walker", page_size=2)
    assert found == ["walker", *(f"walker{i}" for i in range(5))]


@pytest.mark.parametrize(
    "params, attr, code",
    [
        ({}, "q", "required"),
        ({"q": "  "}, "q", "blank"),
        ({"q": "x" * 101}, "q", "max_length"),
        ({"q": "x", "cursor": "not-a-cursor"}, "cursor", "invalid_cursor"),
        ({"q": "x", "page_size": "0"}, "page_size", "min_value"),
    ],
)
def test_bad_input_is_a_400(params, attr, code):
    response = client_for(make_user()).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert [(e["attr"], e["code"]) for e in body["errors"]] == [(attr, code)]


def test_anonymous_is_refused():
    assert client_for().get(URL, {"q": "x"}).status_code == 401


def test_throttled_together_with_the_forum_search(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "search": "2/min",
        },
    }
    client = client_for(make_user())
    assert client.get(URL, {"q": "x"}).status_code == 200
    assert client.get("/api/v1/forum/search/", {"q": "x"}).status_code == 200
    for url in (URL, "/api/v1/forum/search/"):
        refused = client.get(url, {"q": "x"})
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["code"] == "throttled"
        assert int(refused["Retry-After"]) >= 1
