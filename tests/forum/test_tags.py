"""GET /forum/tags/: popular tags of public posts, shared in the cache and fresh after writes."""

import hashlib

import pytest
from django.core.cache import cache

from forum import cache as forum_cache
from forum import moderation, services
from tests.clients import client_for
from tests.factories import make_user
from users.roles import grant_moderator

pytestmark = pytest.mark.django_db

URLS = ["/api/forum/tags/", "/api/v1/forum/tags/"]


def tags(viewer, **params):
    response = client_for(viewer).get("/api/v1/forum/tags/", params)
    assert response.status_code == 200, response.content
    return response.json()["tags"]


def counts(viewer, **params) -> dict[str, int]:
    return {tag["name"]: tag["post_count"] for tag in tags(viewer, **params)}


@pytest.fixture
def moderator(db):
    user = make_user()
    grant_moderator(user)
    return user


@pytest.mark.parametrize("url", URLS)
def test_shape_and_order(author, stranger, url):
    services.create_post(author=author, content="a", tags=["dogs", "cats"])
    services.create_post(author=author, content="b", tags=["dogs"])
    services.create_post(author=author, content="c", tags=["birds"])
    body = client_for(stranger).get(url).json()
    assert body == {
        "tags": [
            {"name": "dogs", "post_count": 2},
            {"name": "birds", "post_count": 1},
            {"name": "cats", "post_count": 1},
        ],
        "next_page": None,
        "previous_page": None,
        "next_cursor": None,
        "previous_cursor": None,
    }


def test_only_public_visible_posts_count(author, follower, stranger, moderator):
    services.create_post(author=author, content="pub", tags=["x"])
    services.create_post(
        author=author, content="friends", tags=["x", "friends"], privacy="followers"
    )
    services.create_post(author=author, content="me", tags=["x", "secret"], privacy="private")
    hidden = services.create_post(author=author, content="bad", tags=["x", "bad"])
    moderation.hide_post(post=hidden, moderator=moderator)
    # Every viewer gets the same list, the author and moderators included.
    for viewer in (author, follower, stranger, moderator):
        assert counts(viewer) == {"x": 1}


def test_top_n_from_settings(author, stranger, settings):
    settings.FORUM = {**settings.FORUM, "POPULAR_TAGS": 2}
    for n, name in enumerate(["one", "two", "three"]):
        for _ in range(n + 1):
            services.create_post(author=author, content=name, tags=[name])
    assert counts(stranger) == {"three": 3, "two": 2}


def test_prefix_filter(author, stranger):
    services.create_post(author=author, content="a", tags=["django", "dogs", "cats"])
    assert counts(stranger, q="D") == {"django": 1, "dogs": 1}
    assert counts(stranger, q="#dj") == {"django": 1}
    assert counts(stranger, q="zzz") == {}
    assert counts(stranger, q="") == {"django": 1, "dogs": 1, "cats": 1}
    # Any text is a valid cache key (it is hashed), spaces and all.
    assert counts(stranger, q="two words ü") == {}


def test_a_too_long_prefix_is_refused(stranger):
    response = client_for(stranger).get("/api/v1/forum/tags/", {"q": "x" * 51})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "q"


def test_needs_authentication():
    assert client_for().get("/api/v1/forum/tags/").status_code == 401


def test_a_hit_costs_fewer_queries_than_a_miss(author, stranger, django_assert_num_queries):
    services.create_post(author=author, content="a", tags=["dogs"])
    with django_assert_num_queries(1):  # the count, grouped by tag
        first = tags(stranger)
    with django_assert_num_queries(0):
        assert tags(stranger) == first
    # Each prefix is its own entry.
    with django_assert_num_queries(1):
        assert tags(stranger, q="do") == first
    with django_assert_num_queries(0):
        assert tags(stranger, q="#DO") == first


def test_a_read_right_after_a_new_tagged_post_shows_it(author, stranger):
    services.create_post(author=author, content="a", tags=["dogs"])
    assert counts(stranger) == {"dogs": 1}
    assert counts(stranger, q="ca") == {}
    response = client_for(author).post(
        "/api/v1/forum/posts/", {"content": "b", "tags": ["dogs", "cats"]}, format="json"
    )
    assert response.status_code == 201
    assert counts(stranger) == {"dogs": 2, "cats": 1}
    assert counts(stranger, q="ca") == {"cats": 1}


def test_edits_deletion_and_moderation_show_at_once(author, stranger, moderator):
    post = services.create_post(author=author, content="a", tags=["dogs"])
    assert counts(stranger) == {"dogs": 1}
    client_for(author).patch(f"/api/v1/forum/posts/{post.pk}/", {"tags": ["cats"]}, format="json")
    assert counts(stranger) == {"cats": 1}
    client_for(author).patch(
        f"/api/v1/forum/posts/{post.pk}/", {"privacy": "private"}, format="json"
    )
    assert counts(stranger) == {}
    client_for(author).patch(
        f"/api/v1/forum/posts/{post.pk}/", {"privacy": "public"}, format="json"
    )
    assert counts(stranger) == {"cats": 1}
    moderation.hide_post(post=post, moderator=moderator)
    assert counts(stranger) == {}
    moderation.restore_post(post=post, moderator=moderator)
    assert counts(stranger) == {"cats": 1}
    assert client_for(author).delete(f"/api/v1/forum/posts/{post.pk}/").status_code == 204
    assert counts(stranger) == {}


def test_the_list_lives_in_the_shared_backend_and_works_uncached(author, stranger, settings):
    services.create_post(author=author, content="a", tags=["dogs"])
    cached = client_for(stranger).get("/api/v1/forum/tags/").content
    version = cache.get("forum:tags:popular:version")
    no_prefix = hashlib.sha256(b"").hexdigest()[:32]
    stored = cache.get(f"forum:tags:popular:{version}:{settings.FORUM['POPULAR_TAGS']}:{no_prefix}")
    assert stored == [{"name": "dogs", "post_count": 1}]
    settings.FORUM = {**settings.FORUM, "TAGS_CACHE_SECONDS": 0}
    forum_cache.invalidate_tags()
    assert client_for(stranger).get("/api/v1/forum/tags/").content == cached
