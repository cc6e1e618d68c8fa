import pytest

from forum.models import ForumPost, PostLike
from tests.clients import client_for
from users.models import Profile

pytestmark = pytest.mark.django_db

AUTHOR_KEYS = {"id": str, "username": str}
POST_CONTRACT = {
    "id": str,
    "user": dict,
    "content": str,
    "timestamp": str,
    "like_count": int,
    "comment_count": int,
    "is_liked": bool,
}


def assert_post_contract(item):
    """The mobile contract (seed 001): every key there, with its JSON type."""
    for key, kind in POST_CONTRACT.items():
        assert isinstance(item[key], kind), (key, item[key])
    assert "media_url" in item and (item["media_url"] is None or isinstance(item["media_url"], str))
    for key, kind in AUTHOR_KEYS.items():
        assert isinstance(item["user"][key], kind)
    assert "avatar_url" in item["user"]


@pytest.mark.parametrize("prefix", ["/api/forum", "/api/v1/forum"])
def test_create_then_list_matches_contract(author, prefix):
    api = client_for(author)
    resp = api.post(f"{prefix}/posts/", {"content": "Hello <b>world</b>"}, format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert_post_contract(body)
    assert body["content"] == "Hello world"
    assert body["like_count"] == 0 and body["comment_count"] == 0 and body["is_liked"] is False
    assert body["user"]["username"] == "author"

    page = api.get(f"{prefix}/posts/").json()
    assert set(page) == {"posts", "next_page", "previous_page", "next_cursor", "previous_cursor"}
    assert [p["id"] for p in page["posts"]] == [body["id"]]
    assert_post_contract(page["posts"][0])
    assert Profile.objects.get(user=author).post_count == 1


def test_anonymous_is_refused_everywhere(author):
    post_id = _post(author, "public")
    anonymous = client_for()
    for method, path in [
        ("get", "/api/forum/posts/"),
        ("get", f"/api/forum/posts/{post_id}/"),
        ("get", f"/api/forum/posts/{post_id}/comments/"),
        ("post", f"/api/forum/posts/{post_id}/comments/"),
        ("post", f"/api/forum/posts/{post_id}/like/"),
        ("post", "/api/forum/upload/"),
    ]:
        resp = getattr(anonymous, method)(path)
        assert resp.status_code == 401, (method, path)
        assert resp.json()["errors"][0]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "payload, attr, code",
    [
        ({}, "content", "required"),
        ({"content": ""}, "content", "blank"),
        ({"content": "<p></p>"}, "content", "blank"),
        ({"content": "x" * 5001}, "content", "max_length"),
        ({"content": "ok", "privacy": "secret"}, "privacy", "invalid_choice"),
        ({"content": "ok", "media_url": "not a url"}, "media_url", "invalid_media_url"),
        ({"content": "ok", "media": ["nope"]}, "media.0", "invalid"),
        ({"content": "ok", "tags": [f"t{i}" for i in range(11)]}, "tags", "too_many_tags"),
    ],
)
def test_bad_post_input(author, payload, attr, code):
    resp = client_for(author).post("/api/forum/posts/", payload, format="json")
    assert resp.status_code == 400
    body = resp.json()
    assert body["type"] == "validation_error"
    assert {"attr": attr, "code": code} == {k: body["errors"][0][k] for k in ("attr", "code")}
    assert not ForumPost.objects.exists()


@pytest.mark.parametrize("prefix", ["/api/forum", "/api/v1/forum"])
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"data": "content=Hello", "content_type": "application/x-www-form-urlencoded"},
            id="urlencoded",
        ),
        pytest.param({"data": {"content": "Hello"}, "format": "multipart"}, id="multipart"),
    ],
)
def test_create_takes_json_only(author, prefix, body):
    """The contract's JSON body only: a form body is a 415 in the error shape."""
    resp = client_for(author).post(f"{prefix}/posts/", **body)

    assert resp.status_code == 415
    assert resp.json()["type"] == "client_error"
    assert [(e["code"], e["attr"]) for e in resp.json()["errors"]] == [
        ("unsupported_media_type", None)
    ]
    assert not ForumPost.objects.exists()


def test_profanity_mask_and_reject(author, settings):
    settings.FORUM = {**settings.FORUM, "PROFANITY_WORDS": ["darn"], "PROFANITY_MODE": "mask"}
    resp = client_for(author).post("/api/forum/posts/", {"content": "Darn it"}, format="json")
    assert resp.json()["content"] == "D*** it"
    settings.FORUM = {**settings.FORUM, "PROFANITY_MODE": "reject"}
    resp = client_for(author).post("/api/forum/posts/", {"content": "darn"}, format="json")
    assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == "profanity"


def test_tags_are_deduplicated_and_filterable(author):
    api = client_for(author)
    api.post("/api/forum/posts/", {"content": "a", "tags": ["Django", "#django", "web"]})
    api.post("/api/forum/posts/", {"content": "b", "tags": ["web"]})
    page = api.get("/api/v1/forum/posts/?tag=django").json()
    assert [p["content"] for p in page["posts"]] == ["a"]
    assert sorted(page["posts"][0]["tags"]) == ["django", "web"]


def _post(author, privacy):
    return (
        client_for(author)
        .post("/api/forum/posts/", {"content": f"{privacy} post", "privacy": privacy})
        .json()["id"]
    )


@pytest.mark.parametrize(
    "privacy, author_sees, follower_sees, stranger_sees",
    [
        ("public", True, True, True),
        ("followers", True, True, False),
        ("private", True, False, False),
    ],
)
def test_privacy_matrix(
    author, follower, stranger, privacy, author_sees, follower_sees, stranger_sees
):
    post_id = _post(author, privacy)
    for viewer, sees in (
        (author, author_sees),
        (follower, follower_sees),
        (stranger, stranger_sees),
    ):
        api = client_for(viewer)
        listed = [p["id"] for p in api.get("/api/forum/posts/").json()["posts"]]
        assert (post_id in listed) is sees
        assert api.get(f"/api/forum/posts/{post_id}/").status_code == (200 if sees else 404)
        comments = api.get(f"/api/forum/posts/{post_id}/comments/")
        assert comments.status_code == (200 if sees else 404)
        like = api.post(f"/api/forum/posts/{post_id}/like/")
        assert like.status_code == (200 if sees else 404)
        comment = api.post(f"/api/forum/posts/{post_id}/comments/", {"content": "hi"})
        assert comment.status_code == (201 if sees else 404)


def test_only_author_edits_and_deletes(author, stranger):
    post_id = _post(author, "public")
    other = client_for(stranger)
    assert other.patch(f"/api/forum/posts/{post_id}/", {"content": "mine"}).status_code == 403
    assert other.delete(f"/api/forum/posts/{post_id}/").status_code == 403
    mine = client_for(author)
    resp = mine.patch(f"/api/forum/posts/{post_id}/", {"content": "edited"})
    assert resp.status_code == 200
    assert resp.json()["content"] == "edited" and resp.json()["is_edited"] is True
    assert mine.delete(f"/api/forum/posts/{post_id}/").status_code == 204
    assert not ForumPost.objects.filter(pk=post_id).exists()
    assert Profile.objects.get(user=author).post_count == 0


def test_unknown_and_malformed_ids_are_404(author):
    api = client_for(author)
    assert api.get("/api/forum/posts/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert api.get("/api/forum/posts/not-a-uuid/").status_code == 404
    assert api.get("/api/forum/posts/?author=nope").status_code == 400


def test_like_toggle_and_idempotent_put_delete(author, stranger):
    post_id = _post(author, "public")
    api = client_for(stranger)
    assert api.post(f"/api/forum/posts/{post_id}/like/").json() == {
        "post_id": post_id,
        "is_liked": True,
        "like_count": 1,
    }
    assert api.post(f"/api/forum/posts/{post_id}/like/").json() == {
        "post_id": post_id,
        "is_liked": False,
        "like_count": 0,
    }
    assert api.put(f"/api/forum/posts/{post_id}/like/").json() == {
        "post_id": post_id,
        "is_liked": True,
        "like_count": 1,
    }
    assert api.put(f"/api/forum/posts/{post_id}/like/").json() == {
        "post_id": post_id,
        "is_liked": True,
        "like_count": 1,
    }
    detail = api.get(f"/api/forum/posts/{post_id}/").json()
    assert detail["is_liked"] is True and detail["like_count"] == 1
    assert client_for(author).get(f"/api/forum/posts/{post_id}/").json()["is_liked"] is False
    assert api.delete(f"/api/forum/posts/{post_id}/like/").json() == {
        "post_id": post_id,
        "is_liked": False,
        "like_count": 0,
    }
    assert api.delete(f"/api/forum/posts/{post_id}/like/").json() == {
        "post_id": post_id,
        "is_liked": False,
        "like_count": 0,
    }
    assert PostLike.objects.count() == 0


def test_following_feed_and_author_filter(author, follower, stranger):
    _post(author, "public")
    _post(stranger, "public")
    feed = client_for(follower).get("/api/forum/posts/?following=true").json()["posts"]
    assert [p["user"]["username"] for p in feed] == ["author"]
    by_author = client_for(follower).get(f"/api/forum/posts/?author={stranger.pk}").json()["posts"]
    assert [p["user"]["username"] for p in by_author] == ["stranger"]


def test_feed_query_count_does_not_grow_with_page_size(
    author, user_factory, django_assert_max_num_queries
):
    authors = [user_factory() for _ in range(5)]
    for i in range(30):
        client_for(authors[i % 5]).post(
            "/api/forum/posts/", {"content": f"post {i}", "tags": ["a", "b"]}
        )
    api = client_for(author)
    # posts (author, profile and is_liked joined; tags from tag_names), media, the viewer's role
    with django_assert_max_num_queries(3):
        small = api.get("/api/forum/posts/?page_size=2")
    with django_assert_max_num_queries(3):
        big = api.get("/api/forum/posts/?page_size=30")
    assert len(small.json()["posts"]) == 2 and len(big.json()["posts"]) == 30
    assert all(post["tags"] == ["a", "b"] for post in big.json()["posts"])


def test_feed_pages_walk_without_loss_or_duplicates(author):
    api = client_for(author)
    for i in range(7):
        api.post("/api/forum/posts/", {"content": f"post {i}"})
    seen, url = [], "/api/forum/posts/?page_size=3"
    while url:
        page = api.get(url).json()
        seen += [p["content"] for p in page["posts"]]
        url = page["next_page"]
        assert url is None or url.startswith("http://testserver/api/forum/posts/")
    assert seen == [f"post {i}" for i in reversed(range(7))]


def test_moderator_hides_and_restores(author, stranger, user_factory):
    from users.roles import grant_moderator

    moderator = user_factory()
    grant_moderator(moderator)
    post_id = _post(author, "public")
    assert client_for(stranger).post(f"/api/forum/posts/{post_id}/hide/").status_code == 403
    resp = client_for(moderator).post(f"/api/forum/posts/{post_id}/hide/")
    assert resp.status_code == 200 and resp.json()["is_hidden"] is True
    assert client_for(stranger).get(f"/api/forum/posts/{post_id}/").status_code == 404
    assert post_id not in [
        p["id"] for p in client_for(stranger).get("/api/forum/posts/").json()["posts"]
    ]
    assert client_for(author).get(f"/api/forum/posts/{post_id}/").json()["is_hidden"] is True
    assert client_for(moderator).get(f"/api/forum/posts/{post_id}/").status_code == 200
    client_for(moderator).post(f"/api/forum/posts/{post_id}/restore/")
    assert client_for(stranger).get(f"/api/forum/posts/{post_id}/").status_code == 200


def test_staff_delete_in_admin_keeps_the_author_count(author, user_factory, client):
    staff = user_factory()
    staff.is_staff = staff.is_superuser = True
    staff.save()
    post_id = _post(author, "public")
    client.force_login(staff)
    resp = client.post(f"/admin/forum/forumpost/{post_id}/delete/", {"post": "yes"})
    assert resp.status_code == 302
    assert not ForumPost.objects.filter(pk=post_id).exists()
    assert Profile.objects.get(user=author).post_count == 0
    assert client_for(author).get(f"/api/v1/users/{author.pk}/").json()["post_count"] == 0


def test_tags_edited_in_the_admin_show_in_the_api(author, user_factory, client):
    from forum.models import Tag

    staff = user_factory()
    staff.is_staff = staff.is_superuser = True
    staff.save()
    post_id = (
        client_for(author).post("/api/forum/posts/", {"content": "x", "tags": ["a"]}).json()["id"]
    )
    tag_b = Tag.objects.create(name="b")
    post = ForumPost.objects.get(pk=post_id)
    client.force_login(staff)
    resp = client.post(
        f"/admin/forum/forumpost/{post_id}/change/",
        {"user": author.pk, "content": "x", "privacy": "public", "tags": [tag_b.pk]},
    )
    assert resp.status_code == 302, resp.content[:500]
    assert client_for(author).get(f"/api/forum/posts/{post.pk}/").json()["tags"] == ["b"]
