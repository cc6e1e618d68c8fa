import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forum import services
from forum.models import ForumComment, ForumPost, PostLike
from tests.clients import client_for
from tests.concurrency import run_in_parallel
from tests.factories import make_user

COMMENT_CONTRACT = {"id": str, "user": dict, "content": str, "timestamp": str}


@pytest.fixture
def post(author):
    return services.create_post(author=author, content="A post")


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["/api/forum", "/api/v1/forum"])
def test_comment_contract_and_count(post, stranger, prefix):
    api = client_for(stranger)
    resp = api.post(f"{prefix}/posts/{post.pk}/comments/", {"content": "Nice"}, format="json")
    assert resp.status_code == 201, resp.json()
    for key, kind in COMMENT_CONTRACT.items():
        assert isinstance(resp.json()[key], kind)
    page = api.get(f"{prefix}/posts/{post.pk}/comments/").json()
    assert set(page) == {"comments", "next_page", "previous_page", "next_cursor", "previous_cursor"}
    assert [c["content"] for c in page["comments"]] == ["Nice"]
    assert api.get(f"{prefix}/posts/{post.pk}/").json()["comment_count"] == 1


@pytest.mark.django_db
def test_replies_nest_up_to_the_depth_limit(post, stranger, settings):
    settings.FORUM = {**settings.FORUM, "MAX_COMMENT_DEPTH": 2}
    api = client_for(stranger)
    url = f"/api/forum/posts/{post.pk}/comments/"
    parent = api.post(url, {"content": "0"}).json()["id"]
    for depth in (1, 2):
        resp = api.post(url, {"content": str(depth), "parent": parent})
        assert resp.status_code == 201 and resp.json()["depth"] == depth
        parent = resp.json()["id"]
    too_deep = api.post(url, {"content": "3", "parent": parent})
    assert too_deep.status_code == 400
    assert too_deep.json()["errors"][0] == {
        "code": "max_depth",
        "detail": "Replies cannot nest any deeper.",
        "attr": "parent",
    }
    other_post = services.create_post(author=stranger, content="other")
    wrong = api.post(
        f"/api/forum/posts/{other_post.pk}/comments/", {"content": "x", "parent": parent}
    )
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["code"] == "does_not_exist"


@pytest.mark.django_db
def test_comment_edit_and_delete_by_author_only(post, author, stranger):
    mine = client_for(stranger)
    comment_id = mine.post(f"/api/forum/posts/{post.pk}/comments/", {"content": "first"}).json()[
        "id"
    ]
    other = client_for(author)
    assert other.patch(f"/api/forum/comments/{comment_id}/", {"content": "x"}).status_code == 403
    assert other.delete(f"/api/forum/comments/{comment_id}/").status_code == 403
    edited = mine.patch(f"/api/forum/comments/{comment_id}/", {"content": "second"})
    assert edited.status_code == 200
    assert edited.json()["content"] == "second" and edited.json()["is_edited"] is True
    assert mine.delete(f"/api/forum/comments/{comment_id}/").status_code == 204
    assert not ForumComment.objects.filter(pk=comment_id).exists()
    assert ForumPost.objects.get(pk=post.pk).comment_count == 0


@pytest.mark.django_db
def test_deleted_comment_with_replies_leaves_a_placeholder(post, author, stranger):
    parent = services.create_comment(post=post, author=stranger, content="parent")
    services.create_comment(post=post, author=author, content="reply", parent_id=parent.pk)
    assert client_for(stranger).delete(f"/api/forum/comments/{parent.pk}/").status_code == 204
    comments = client_for(author).get(f"/api/forum/posts/{post.pk}/comments/").json()["comments"]
    assert [(c["content"], c["is_deleted"]) for c in comments] == [("", True), ("reply", False)]
    assert ForumPost.objects.get(pk=post.pk).comment_count == 1


@pytest.mark.django_db
def test_comments_on_a_hidden_from_me_post_are_404(author, stranger):
    private = services.create_post(author=author, content="secret", privacy="private")
    comment = services.create_comment(post=private, author=author, content="note")
    api = client_for(stranger)
    assert api.patch(f"/api/forum/comments/{comment.pk}/", {"content": "x"}).status_code == 404


@pytest.mark.django_db
def test_comment_list_query_count_is_flat(post, django_assert_max_num_queries):
    for i in range(25):
        services.create_comment(post=post, author=make_user(), content=f"c{i}")
    api = client_for(post.user)
    with django_assert_max_num_queries(4):
        resp = api.get(f"/api/forum/posts/{post.pk}/comments/?page_size=25")
    assert len(resp.json()["comments"]) == 25


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_likes_from_many_users_count_exactly(author):
    post = services.create_post(author=author, content="popular")
    users = [make_user() for _ in range(12)]
    run_in_parallel(
        [lambda u=u: services.set_post_like(user=u, post_id=post.pk, liked=True) for u in users]
    )
    post.refresh_from_db()
    assert post.like_count == 12 == PostLike.objects.filter(post=post).count()


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_user_toggling_rapidly_keeps_the_count_true(author):
    post = services.create_post(author=author, content="clicky")
    clicker = make_user()
    run_in_parallel([lambda: services.toggle_post_like(user=clicker, post_id=post.pk)] * 10)
    post.refresh_from_db()
    rows = PostLike.objects.filter(post=post).count()
    assert rows in (0, 1)
    assert post.like_count == rows


@pytest.mark.django_db
def test_a_like_toggle_checks_the_post_once(post, stranger):
    api = client_for(stranger)
    url = f"/api/forum/posts/{post.pk}/like/"
    with CaptureQueriesContext(connection) as queries:
        liked = api.post(url)
    with CaptureQueriesContext(connection) as unliked_queries:
        unliked = api.post(url)

    assert liked.json() == {"post_id": str(post.pk), "is_liked": True, "like_count": 1}
    assert unliked.json() == {"post_id": str(post.pk), "is_liked": False, "like_count": 0}
    for captured in (queries, unliked_queries):
        # The visibility rule (privacy, blocks, hidden) runs once, not again for
        # the toggle's write.
        visibility = [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].startswith("SELECT") and '"forum_forumpost"."privacy"' in q["sql"]
        ]
        assert len(visibility) == 1, visibility
