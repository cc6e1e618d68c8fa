"""Comment likes: toggle and idempotent set, visibility, exact counts, `is_liked` per viewer."""

import pytest
from channels.db import database_sync_to_async

from forum import services
from forum.models import CommentLike, ForumComment
from tests.clients import client_for
from tests.concurrency import run_in_parallel
from tests.factories import make_user
from tests.sockets import access_token


@pytest.fixture
def comment(author, stranger):
    post = services.create_post(author=author, content="A post")
    return services.create_comment(post=post, author=author, content="A comment")


def _like_url(prefix, comment_id):
    return f"{prefix}/comments/{comment_id}/like/"


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["/api/forum", "/api/v1/forum"])
def test_toggle_and_idempotent_put_delete(comment, stranger, prefix):
    api = client_for(stranger)
    url = _like_url(prefix, comment.pk)
    expected = [
        (api.post, True, 1),
        (api.post, False, 0),
        (api.put, True, 1),
        (api.put, True, 1),
        (api.delete, False, 0),
        (api.delete, False, 0),
    ]
    for method, is_liked, like_count in expected:
        resp = method(url)
        assert resp.status_code == 200, resp.json()
        assert resp.json() == {
            "comment_id": str(comment.pk),
            "post_id": str(comment.post_id),
            "is_liked": is_liked,
            "like_count": like_count,
        }
    assert not CommentLike.objects.exists()


@pytest.mark.django_db
def test_is_liked_is_per_viewer_in_the_comment_list(comment, author, stranger):
    client_for(stranger).put(_like_url("/api/forum", comment.pk))
    url = f"/api/forum/posts/{comment.post_id}/comments/"
    for viewer, is_liked in ((stranger, True), (author, False)):
        [item] = client_for(viewer).get(url).json()["comments"]
        assert (item["is_liked"], item["like_count"]) == (is_liked, 1)


@pytest.mark.django_db
def test_edit_response_carries_the_editors_like(comment, author):
    api = client_for(author)
    api.put(_like_url("/api/forum", comment.pk))
    resp = api.patch(f"/api/forum/comments/{comment.pk}/", {"content": "edited"})
    assert resp.status_code == 200
    assert resp.json()["is_liked"] is True and resp.json()["like_count"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("privacy", ["private", "followers"])
def test_comment_on_a_post_you_may_not_see_is_404(author, stranger, privacy):
    post = services.create_post(author=author, content="secret", privacy=privacy)
    comment = services.create_comment(post=post, author=author, content="note")
    api = client_for(stranger)
    for method in (api.post, api.put, api.delete):
        resp = method(_like_url("/api/forum", comment.pk))
        assert resp.status_code == 404
        assert resp.json()["errors"][0]["code"] == "not_found"
    assert ForumComment.objects.get(pk=comment.pk).like_count == 0


@pytest.mark.django_db
def test_follower_may_like_on_a_followers_only_post(author, follower):
    post = services.create_post(author=author, content="friends", privacy="followers")
    comment = services.create_comment(post=post, author=author, content="note")
    resp = client_for(follower).post(_like_url("/api/forum", comment.pk))
    assert resp.json() == {
        "comment_id": str(comment.pk),
        "post_id": str(post.pk),
        "is_liked": True,
        "like_count": 1,
    }


@pytest.mark.django_db
def test_unknown_malformed_and_deleted_comments_are_404(comment, author, stranger):
    api = client_for(stranger)
    assert api.post(
        _like_url("/api/forum", "00000000-0000-0000-0000-000000000000")
    ).status_code == (404)
    assert api.post("/api/forum/comments/not-a-uuid/like/").status_code == 404
    services.create_comment(
        post=comment.post, author=stranger, content="reply", parent_id=comment.pk
    )
    services.delete_comment(comment=comment, actor=author)  # leaves a placeholder
    assert api.put(_like_url("/api/forum", comment.pk)).status_code == 404


@pytest.mark.django_db
def test_anonymous_is_refused(comment):
    assert client_for().post(_like_url("/api/forum", comment.pk)).status_code == 401


@pytest.mark.django_db
def test_comment_list_with_likes_costs_the_same_queries(
    author, comment, django_assert_max_num_queries
):
    for i in range(20):
        liker = make_user()
        extra = services.create_comment(post=comment.post, author=liker, content=f"c{i}")
        services.set_comment_like(user=author, comment_id=extra.pk, liked=i % 2 == 0)
    api = client_for(author)
    url = f"/api/forum/posts/{comment.post_id}/comments/"
    # visible post, comments (author, profile and is_liked joined), the viewer's role
    with django_assert_max_num_queries(4):
        small = api.get(f"{url}?page_size=2").json()["comments"]
    with django_assert_max_num_queries(4):
        big = api.get(f"{url}?page_size=21").json()["comments"]
    assert len(small) == 2 and len(big) == 21
    assert [c["is_liked"] for c in big[1:]] == [i % 2 == 0 for i in range(20)]


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_comment_likes_from_many_users_count_exactly(author):
    post = services.create_post(author=author, content="popular")
    comment = services.create_comment(post=post, author=author, content="hot take")
    users = [make_user() for _ in range(12)]
    run_in_parallel(
        [
            lambda u=u: services.set_comment_like(user=u, comment_id=comment.pk, liked=True)
            for u in users
        ]
    )
    comment.refresh_from_db()
    assert comment.like_count == 12 == CommentLike.objects.filter(comment=comment).count()
    run_in_parallel(
        [
            lambda u=u: services.set_comment_like(user=u, comment_id=comment.pk, liked=False)
            for u in users[:5]
        ]
    )
    comment.refresh_from_db()
    assert comment.like_count == 7 == CommentLike.objects.filter(comment=comment).count()


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_user_toggling_a_comment_rapidly_keeps_the_count_true(author):
    post = services.create_post(author=author, content="clicky")
    comment = services.create_comment(post=post, author=author, content="click me")
    clicker = make_user()
    run_in_parallel(
        [lambda: services.toggle_comment_like(user=clicker, comment_id=comment.pk)] * 10
    )
    comment.refresh_from_db()
    rows = CommentLike.objects.filter(comment=comment).count()
    assert rows in (0, 1)
    assert comment.like_count == rows


@pytest.mark.django_db(transaction=True)
async def test_comment_likes_reach_post_subscribers(open_socket):
    author, liker = await database_sync_to_async(lambda: (make_user(), make_user()))()
    post = await database_sync_to_async(services.create_post)(author=author, content="hi")
    comment = await database_sync_to_async(services.create_comment)(
        post=post, author=author, content="yo"
    )
    watcher = await open_socket(access_token(author))
    assert (await watcher.request("subscribe", {"stream": f"post:{post.pk}"}))["type"] == "ack"
    await database_sync_to_async(services.set_comment_like)(
        user=liker, comment_id=comment.pk, liked=True
    )
    event = await watcher.receive()
    assert event["type"] == "forum.comment.liked"
    assert event["data"] == {
        "comment_id": str(comment.pk),
        "post_id": str(post.pk),
        "like_count": 1,
    }
