"""The feed list (forum.feed) against the ORM path it replaced.

`GET /forum/posts/` renders prepared rows with plain functions; every page must
be exactly what `PostSerializer` on `selectors.post_feed` under
`PostPagination.paginate_queryset` answers for the same request: the posts,
their fields, and the next/previous links.
"""

import json
import uuid

import pytest
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.pagination import Cursor, encode_cursor
from forum import media as forum_media
from forum import moderation, selectors, services
from forum.models import ForumPost, Media, Privacy
from forum.pagination import PostPagination
from forum.serializers import FeedFilterSerializer, PostSerializer
from tests.clients import bearer_client as bearer
from tests.factories import FollowFactory, MediaRowFactory, image_upload, make_user
from users.models import Profile, User
from users.roles import grant_moderator

pytestmark = pytest.mark.django_db

PREFIXES = ["/api", "/api/v1"]


def orm_body(viewer, url: str) -> dict:
    """What the list answered before forum.feed: the view's queryset, paginated
    by `paginate_queryset`, rendered by `PostSerializer`, as JSON."""
    request = Request(APIRequestFactory().get(url))
    params = FeedFilterSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    posts = selectors.post_feed(
        viewer=viewer,
        author_id=params.validated_data.get("author"),
        tag=params.validated_data.get("tag"),
        following=params.validated_data.get("following", False),
    )
    paginator = PostPagination()
    page = paginator.paginate_queryset(posts, request)
    data = PostSerializer(page, many=True, context={"request": request}).data
    body = {
        "posts": data,
        **paginator.get_page_links(),
    }
    return json.loads(JSONRenderer().render(body))


def fresh(user):
    """The viewer as a request would load it (no attribute cached by the setup)."""
    return User.objects.get(pk=user.pk)


def assert_same_page(viewer, url: str) -> dict:
    response = bearer(viewer).get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body == orm_body(fresh(viewer), url), url
    return body


@pytest.fixture
def world(settings, tmp_path, django_capture_on_commit_callbacks):
    """Posts covering what a post renders: every privacy, hidden, edited, tags,
    likes, 0/1/3 media with and without thumbnails, authors with and without
    an avatar."""
    settings.MEDIA_ROOT = str(tmp_path)
    alice = make_user("alice")  # has an avatar
    bob = make_user("bob")  # has none
    vera = make_user("vera")  # follows alice, likes
    mod = make_user("mod")
    grant_moderator(mod)
    Profile.objects.filter(user=alice).update(avatar="avatars/2026/01/alice.jpg")
    FollowFactory(follower=vera, followee=alice)

    def upload(owner, *, thumbnails: bool):
        if thumbnails:  # the thumbnail task runs on commit
            with django_capture_on_commit_callbacks(execute=True):
                media = forum_media.upload_media(owner=owner, upload=image_upload())
        else:
            media = forum_media.upload_media(owner=owner, upload=image_upload())
        media.refresh_from_db()
        assert bool(media.thumbnails) is thumbnails
        return media.pk

    def post(author, content, *, privacy=Privacy.PUBLIC, tags=None, media=()):
        return services.create_post(
            author=author, content=content, privacy=privacy, tags=tags, media=list(media)
        )

    posts = {
        "tagged": post(alice, "tags, no media", tags=["Django", "web"]),
        "followers": post(
            alice,
            "for followers",
            privacy=Privacy.FOLLOWERS,
            media=[upload(alice, thumbnails=True)],
        ),
        "private": post(
            alice,
            "only me",
            privacy=Privacy.PRIVATE,
            media=[
                upload(alice, thumbnails=True),
                upload(alice, thumbnails=False),
                upload(alice, thumbnails=True),
            ],
        ),
        "one_plain": post(bob, "one plain image", media=[upload(bob, thumbnails=False)]),
        "hidden": post(bob, "hidden by a moderator", tags=["web"]),
        "edited": post(alice, "before the edit"),
        "bob_followers": post(bob, "bob's followers only", privacy=Privacy.FOLLOWERS),
        "three": post(
            bob,
            "three images",
            tags=["photos"],
            media=[
                upload(bob, thumbnails=False),
                upload(bob, thumbnails=True),
                upload(bob, thumbnails=False),
            ],
        ),
    }
    services.update_post(
        post=posts["edited"],
        editor=alice,
        content="after the edit",
        tags=["Django"],
        fields={"content", "tags"},
    )
    moderation.hide_post(post=posts["hidden"], moderator=mod)
    for user, name in [(vera, "tagged"), (vera, "followers"), (mod, "hidden"), (bob, "edited")]:
        services.set_post_like(user=user, post_id=posts[name].pk, liked=True)
    users = {"alice": alice, "bob": bob, "vera": vera, "mod": mod}
    return users, posts


VIEWERS = ["alice", "bob", "vera", "mod"]


# --- the items ---------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_feed_items_equal_what_post_serializer_renders(world, prefix, viewer):
    users, _ = world
    body = assert_same_page(users[viewer], f"{prefix}/forum/posts/?page_size=50")
    assert body["posts"], "the parity must be over posts, not an empty page"


def test_the_parity_covers_every_case(world):
    """The pages compared above hold every case the renderer has to get right."""
    users, posts = world
    seen = {}
    for viewer in VIEWERS:
        page = bearer(users[viewer]).get("/api/v1/forum/posts/?page_size=50").json()["posts"]
        seen[viewer] = {item["id"]: item for item in page}
    everything = {**seen["mod"], **seen["alice"], **seen["bob"]}
    items = list(everything.values())
    assert {item["privacy"] for item in items} == {"public", "followers", "private"}
    assert {len(item["media"]) for item in items} == {0, 1, 3}
    thumbs = [bool(m["thumbnails"]) for item in items for m in item["media"]]
    assert True in thumbs and False in thumbs
    avatars = {item["user"]["username"]: item["user"]["avatar_url"] for item in items}
    assert avatars["alice"] == "http://testserver/media/avatars/2026/01/alice.jpg"
    assert avatars["bob"] == "http://testserver/static/users/default-avatar.png"
    assert any(item["is_edited"] for item in items)
    assert any(item["tags"] for item in items) and any(not item["tags"] for item in items)
    assert {item["is_liked"] for item in seen["vera"].values()} == {True, False}
    # Media URLs are absolute, thumbnails too; media_url is the first image.
    three = everything[str(posts["three"].pk)]
    assert three["media_url"] == three["media"][0]["url"]
    assert three["media_url"].startswith("http://testserver/media/forum/")
    assert all(
        url.startswith("http://testserver/media/")
        for m in three["media"]
        for url in m["thumbnails"].values()
    )
    # The hidden post: to its author and moderators only, marked hidden.
    hidden = str(posts["hidden"].pk)
    assert seen["bob"][hidden]["is_hidden"] is True
    assert seen["mod"][hidden]["is_hidden"] is True and seen["mod"][hidden]["is_liked"] is True
    assert hidden not in seen["vera"] and hidden not in seen["alice"]
    assert not any(item["is_hidden"] for item in seen["vera"].values())


# --- pages and filters -------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("viewer", ["alice", "mod"])
def test_pages_and_links_equal_the_queryset_path(world, prefix, viewer):
    users, _ = world
    user = users[viewer]
    url = f"{prefix}/forum/posts/?page_size=2"
    forward = []
    while url:
        body = assert_same_page(user, url)
        forward.append(([item["id"] for item in body["posts"]], url))
        url = body["next_page"]
        assert url is None or url.startswith(f"http://testserver{prefix}/forum/posts/?")
    assert len(forward) >= 3
    # Back from the last page by the previous links: the same pages, in reverse.
    body = assert_same_page(user, forward[-1][1])
    backward = [[item["id"] for item in body["posts"]]]
    url = body["previous_page"]
    while url:
        body = assert_same_page(user, url)
        backward.append([item["id"] for item in body["posts"]])
        url = body["previous_page"]
    assert backward == [ids for ids, _ in reversed(forward)]
    all_ids = [post_id for ids, _ in forward for post_id in ids]
    expected = selectors.post_feed(viewer=fresh(user)).order_by(*PostPagination.ordering)
    assert all_ids == [str(pk) for pk in expected.values_list("id", flat=True)]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_filters_return_what_the_queryset_path_returns(world, prefix):
    users, _ = world
    alice, bob = users["alice"].pk, users["bob"].pk
    queries = [
        f"author={alice}",
        f"author={bob}",
        f"author={uuid.uuid4()}",
        "tag=django",
        "tag=%23Django%20",  # "#Django ": normalised like a stored tag
        "tag=web",
        "tag=nothing-tagged",
        "following=true",
        "following=true&tag=django",
        f"following=true&author={bob}",
        f"author={alice}&tag=web",
    ]
    counts = {}
    for viewer in ["vera", "bob", "mod"]:
        for query in queries:
            for size in (2, 50):
                url = f"{prefix}/forum/posts/?page_size={size}&{query}"
                body = assert_same_page(users[viewer], url)
                counts[viewer, query, size] = len(body["posts"])
    # The filters do filter (the comparison is not between empty pages).
    assert counts["vera", "following=true", 50] == 3  # alice's, not private
    assert counts["vera", "following=true&tag=django", 50] == 2
    assert counts["vera", "tag=%23Django%20", 50] == counts["vera", "tag=django", 50] == 2
    assert counts["vera", f"author={bob}", 50] == 2  # not followers-only, not hidden
    assert counts["bob", f"author={bob}", 50] == 4  # his own, hidden included
    assert counts["mod", "tag=nothing-tagged", 50] == 0
    assert counts["mod", "tag=web", 50] == 2


# --- queries -----------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 50])
def test_a_feed_page_costs_two_queries_whatever_its_size(
    count, settings, tmp_path, django_assert_max_num_queries
):
    settings.MEDIA_ROOT = str(tmp_path)
    authors = [make_user() for _ in range(5)]
    Profile.objects.filter(user=authors[0]).update(avatar="avatars/a.jpg")
    viewer = make_user()
    posts = ForumPost.objects.bulk_create(
        ForumPost(user=authors[i % 5], content=f"post {i}", tag_names="a b") for i in range(count)
    )
    Media.objects.bulk_create(
        MediaRowFactory.build(
            post=post,
            thumbnails={"320": f"forum/2026/01/{i}_320.jpg"} if i % 2 else {},
            position=position,
        )
        for i, post in enumerate(posts)
        for position in range(i % 4)
    )
    client = bearer(viewer)  # issuing the token writes a row: not part of the page
    # The viewer and their role; the posts with their media.
    with django_assert_max_num_queries(2):
        body = client.get("/api/v1/forum/posts/?page_size=50").json()
    assert len(body["posts"]) == count
    assert {len(item["media"]) for item in body["posts"]} == {0, 1, 2, 3}


# --- errors ------------------------------------------------------------------------


def assert_error(response, code: str, attr: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"type", "errors"} and body["type"] == "validation_error", body
    assert [(e["code"], e["attr"]) for e in body["errors"]] == [(code, attr)], body
    assert all(set(e) == {"code", "detail", "attr"} for e in body["errors"])


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_malformed_author_filter_is_a_400(world, prefix):
    users, _ = world
    response = bearer(users["vera"]).get(f"{prefix}/forum/posts/?author=not-a-uuid")
    assert_error(response, "invalid", "author")


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        encode_cursor(Cursor(values=("yesterday", str(uuid.uuid4())), direction="n")),
        encode_cursor(Cursor(values=("2026-01-01T00:00:00+00:00", "not-a-uuid"), direction="n")),
        encode_cursor(Cursor(values=("2026-01-01T00:00:00+00:00",), direction="p")),
    ],
)
def test_a_bad_cursor_is_a_400(world, prefix, cursor):
    users, _ = world
    response = bearer(users["vera"]).get(f"{prefix}/forum/posts/?cursor={cursor}")
    assert_error(response, "invalid_cursor", "cursor")
