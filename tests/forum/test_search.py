"""Search: posts by text and tag (full-text on Postgres), users by handle or name."""

import pytest
from django.db import connection

from forum import moderation, search, services
from forum.models import ForumPost
from tests.clients import client_for
from tests.factories import make_user
from users import selectors as user_selectors
from users.models import Profile, User

pytestmark = pytest.mark.django_db

URL = "/api/v1/forum/search/"


def found(user, q, **params):
    resp = client_for(user).get(URL, {"q": q, **params})
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body.keys() == {
        "posts",
        "users",
        "next_page",
        "previous_page",
        "next_cursor",
        "previous_cursor",
    }
    assert body["next_page"] is None and body["previous_page"] is None
    return [p["content"] for p in body["posts"]], [u["username"] for u in body["users"]]


def named(username, display_name=""):
    user = make_user(username)
    Profile.objects.filter(user=user).update(display_name=display_name)
    return user


# --- on every database (substring matching on SQLite) -------------------------------


@pytest.mark.parametrize("prefix", ["/api/forum", "/api/v1/forum"])
def test_finds_posts_by_text_and_by_tag(author, stranger, prefix):
    services.create_post(author=author, content="Deploying Django with Docker")
    services.create_post(author=author, content="My cat sleeps", tags=["django"])
    services.create_post(author=author, content="Nothing to see")
    resp = client_for(stranger).get(f"{prefix}/search/", {"q": "django"})
    assert resp.status_code == 200
    contents = [p["content"] for p in resp.json()["posts"]]
    assert sorted(contents) == ["Deploying Django with Docker", "My cat sleeps"]
    item = resp.json()["posts"][0]
    assert {"id", "user", "content", "like_count", "is_liked", "tags"} <= set(item)


def test_visibility_rules_apply_to_posts(author, follower, stranger, user_factory):
    moderator = user_factory()
    from users.roles import grant_moderator

    grant_moderator(moderator)
    services.create_post(author=author, content="public django", privacy="public")
    services.create_post(author=author, content="friends django", privacy="followers")
    services.create_post(author=author, content="secret django", privacy="private")
    hidden = services.create_post(author=author, content="hidden django")
    moderation.hide_post(post=hidden, moderator=moderator)

    assert sorted(found(stranger, "django")[0]) == ["public django"]
    assert sorted(found(follower, "django")[0]) == ["friends django", "public django"]
    assert sorted(found(author, "django")[0]) == [
        "friends django",
        "hidden django",
        "public django",
        "secret django",
    ]
    assert "hidden django" in found(moderator, "django")[0]


def test_finds_users_by_username_and_display_name(stranger):
    named("alice_w", "Alice Wonder")
    named("bobby", "Robert Smith")
    inactive = named("alice_gone", "Alice Gone")
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    assert found(stranger, "alice")[1] == ["alice_w"]
    assert found(stranger, "Smith")[1] == ["bobby"]
    user = client_for(stranger).get(URL, {"q": "bobby"}).json()["users"][0]
    assert user["display_name"] == "Robert Smith" and user["is_following"] is False


def test_type_filter_and_result_limit(author, stranger, settings):
    named("django_fan", "Django Fan")
    for i in range(4):
        services.create_post(author=author, content=f"django post {i}")
    assert found(stranger, "django", type="posts")[1] == []
    assert found(stranger, "django", type="users")[0] == []
    settings.FORUM = {**settings.FORUM, "SEARCH_RESULTS": 2}
    posts, users = found(stranger, "django")
    assert len(posts) == 2 and users == ["django_fan"]


@pytest.mark.parametrize(
    "params, code",
    [
        ({}, "required"),
        ({"q": ""}, "blank"),
        ({"q": "   "}, "blank"),
        ({"q": "x" * 101}, "max_length"),
        ({"q": "ok", "type": "tags"}, "invalid_choice"),
    ],
)
def test_bad_search_input(stranger, params, code):
    resp = client_for(stranger).get(URL, params)
    assert resp.status_code == 400
    assert resp.json()["type"] == "validation_error"
    assert resp.json()["errors"][0]["code"] == code


def test_anonymous_is_refused():
    assert client_for().get(URL, {"q": "x"}).status_code == 401


def test_query_count_does_not_grow_with_results(author, stranger, django_assert_max_num_queries):
    for i in range(15):
        named(f"django{i}", f"Django Person {i}")
        services.create_post(author=author, content=f"django post {i}", tags=["web", "django"])
    # posts (author, profile, is_liked joined), tags, media, the viewer's role, users
    with django_assert_max_num_queries(5):
        posts, users = found(stranger, "django")
    assert len(posts) == 15 and len(users) == 15


# --- Postgres: ranking, stemming, trigram similarity, the indexes --------------------


@pytest.mark.requires_postgres
def test_posts_are_ranked_tags_above_text(author, stranger):
    services.create_post(author=author, content="python mentioned once")
    services.create_post(author=author, content="About snakes", tags=["python"])
    services.create_post(author=author, content="python python python everywhere")
    posts, _ = found(stranger, "python")
    assert posts[0] == "About snakes"
    assert posts[1:] == ["python python python everywhere", "python mentioned once"]


@pytest.mark.requires_postgres
def test_full_text_matching_stems_and_takes_web_syntax(author, stranger):
    services.create_post(author=author, content="Running Django in production")
    services.create_post(author=author, content="Django tests run fast")
    assert found(stranger, "runs")[0] == ["Django tests run fast", "Running Django in production"]
    assert found(stranger, "django -production")[0] == ["Django tests run fast"]
    assert found(stranger, '"django in production"')[0] == ["Running Django in production"]
    # Edits and tag changes are searchable at once: the document is a stored column.
    post = ForumPost.objects.get(content="Django tests run fast")
    services.update_post(post=post, editor=author, tags=["testing"], fields={"tags"})
    assert found(stranger, "testing")[0] == ["Django tests run fast"]


@pytest.mark.requires_postgres
def test_users_are_found_by_similarity(stranger):
    named("alexander", "AlexAnder")
    named("alexandra_k", "Sandra Kowalski")
    named("zed", "Zed")
    # Most similar first; a word of a handle or a display name is enough.
    assert found(stranger, "alexander")[1] == ["alexander", "alexandra_k"]
    assert found(stranger, "alexandra")[1] == ["alexandra_k", "alexander"]
    assert found(stranger, "kowalsky")[1] == ["alexandra_k"]
    assert found(stranger, "zzz")[1] == []


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        # Tiny test tables make a sequential scan cheapest; forbid it to see
        # which index the planner can serve the query from.
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


@pytest.mark.requires_postgres
def test_post_search_uses_the_gin_index(author, stranger):
    services.create_post(author=author, content="indexed words")
    query = search.post_search_queryset(viewer=stranger, q="indexed")
    plan = _plan(query)
    assert "forum_post_search_idx" in plan, plan


@pytest.mark.requires_postgres
def test_user_search_uses_the_trigram_indexes(stranger):
    named("indexed_user", "Indexed Name")
    plan = _plan(user_selectors.search_users(viewer=stranger, q="indexed"))
    assert "users_profile_display_name_trgm_idx" in plan, plan
    # On a handful of rows the planner scans the small case-insensitive unique
    # index for `username` instead; with a realistic number of users (100,000)
    # it takes `users_user_username_trgm_idx`.
    assert "Seq Scan on users_user" not in plan and "Seq Scan on users_profile" not in plan
