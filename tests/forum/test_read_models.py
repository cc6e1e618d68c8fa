"""forum.read_models against the ORM paths they replaced and the serializers
kept for the schema: the post detail and create/edit responses, the comments
list (prepared, forum.comments) and one comment, for every kind of viewer."""

import json

import pytest
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.read_model import serializer_drift
from forum import moderation, selectors, services
from forum.pagination import CommentPagination
from forum.read_models import COMMENT, POST
from forum.serializers import CommentSerializer, PostSerializer
from tests.clients import client_for
from tests.factories import make_user
from users import services as user_services
from users.avatars import DEFAULT_AVATAR
from users.models import Profile, User
from users.roles import grant_moderator

from .test_feed_render import VIEWERS, bearer, fresh, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def as_json(data) -> dict:
    return json.loads(JSONRenderer().render(data))


def test_the_schema_serializers_have_the_read_models_fields():
    assert serializer_drift(POST, PostSerializer) == []
    assert serializer_drift(COMMENT, CommentSerializer) == []


# --- one post ----------------------------------------------------------------------


def orm_post(viewer, post_id) -> dict:
    """What the detail answered before read_models: PostSerializer on post_feed."""
    request = Request(APIRequestFactory().get("/"))
    post = selectors.post_feed(viewer=viewer).get(pk=post_id)
    return as_json(PostSerializer(post, context={"request": request}).data)


@pytest.mark.parametrize("cache_seconds", [0, 60])
@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_detail_is_what_post_serializer_renders(world, viewer, cache_seconds, settings):  # noqa: F811
    settings.FORUM = {**settings.FORUM, "CACHE_SECONDS": cache_seconds}
    users, posts = world
    user = users[viewer]
    seen = 0
    for post in posts.values():
        visible = selectors.visible_posts(viewer=user).filter(pk=post.pk).exists()
        for _ in range(2):  # the second read is a cache hit when the cache is on
            response = bearer(user).get(f"/api/v1/forum/posts/{post.pk}/")
            if not visible:
                assert response.status_code == 404
                continue
            assert response.status_code == 200, response.content
            assert response.json() == orm_post(fresh(user), post.pk), post.content
            seen += 1
    assert seen


def test_create_and_edit_answer_the_detail(author):
    api = client_for(author)
    created = api.post("/api/forum/posts/", {"content": "new", "tags": ["x"]}, format="json")
    assert created.status_code == 201
    assert created.json() == orm_post(author, created.json()["id"])
    post_id = created.json()["id"]
    edited = api.patch(f"/api/forum/posts/{post_id}/", {"content": "edited"}, format="json")
    assert edited.json() == orm_post(author, post_id) and edited.json()["is_edited"] is True


def test_a_malformed_or_unknown_post_id_is_a_404(author):
    api = client_for(author)
    for path in ["/api/forum/posts/00000000-0000-0000-0000-000000000000/"]:
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"


# --- comments ------------------------------------------------------------------------


@pytest.fixture
def thread(settings, tmp_path):
    """Comments covering what a comment renders: replies, a deleted placeholder, a
    hidden one, an edited one, likes, authors with and without an avatar, a block."""
    settings.MEDIA_ROOT = str(tmp_path)
    author, ann, bob, blocker, mod = (make_user() for _ in range(5))
    grant_moderator(mod)
    Profile.objects.filter(user=ann).update(avatar="avatars/2026/01/ann.jpg")
    post = services.create_post(author=author, content="the post")

    def say(user, text, parent=None):
        return services.create_comment(post=post, author=user, content=text, parent_id=parent)

    first = say(ann, "first")
    reply = say(bob, "a reply", first.pk)
    gone = say(bob, "to be deleted")
    say(ann, "reply to the deleted", gone.pk)
    services.delete_comment(comment=gone, actor=bob)  # a placeholder: it has a reply
    hidden = say(bob, "hidden by a moderator")
    moderation.hide_comment(comment=hidden, moderator=mod)
    edited = say(ann, "before")
    services.update_comment(comment=edited, editor=ann, content="after")
    say(blocker, "by someone who blocks ann")
    user_services.block_user(blocker=blocker, blocked=ann)
    for user, comment in [(bob, first), (ann, reply), (mod, hidden), (author, first)]:
        services.set_comment_like(user=user, comment_id=comment.pk, liked=True)
    users = {"author": author, "ann": ann, "bob": bob, "mod": mod}
    return post, users


def orm_comments_page(viewer, post, url: str) -> dict:
    request = Request(APIRequestFactory().get(url))
    paginator = CommentPagination()
    page = paginator.paginate_queryset(selectors.post_comments(post=post, viewer=viewer), request)
    data = CommentSerializer(page, many=True, context={"request": request}).data
    return as_json(
        {
            "comments": data,
            **paginator.get_page_links(),
        }
    )


@pytest.mark.parametrize("viewer", ["author", "ann", "bob", "mod"])
def test_comment_pages_are_what_the_orm_and_comment_serializer_answer(thread, viewer):
    post, users = thread
    user = users[viewer]
    orm_viewer = User.objects.get(pk=user.pk)
    api = client_for(user)
    url = f"http://testserver/api/forum/posts/{post.pk}/comments/?page_size=2"
    pages = []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body == orm_comments_page(orm_viewer, post, url), url
        pages.append(body)
        url = body["next_page"]
    # and back by the previous links
    url = pages[-1]["previous_page"]
    while url:
        body = api.get(url).json()
        assert body == orm_comments_page(orm_viewer, post, url), url
        url = body["previous_page"]
    items = [c for page in pages for c in page["comments"]]
    assert len(pages) >= 2 and items
    if viewer == "mod":  # the parity covers every case a comment renders
        assert {c["is_hidden"] for c in items} == {True, False}
        assert {c["is_deleted"] for c in items} == {True, False}
        assert {c["is_liked"] for c in items} == {True, False}
        assert {c["parent"] is None for c in items} == {True, False}
        default = {c["user"]["avatar_url"].endswith(DEFAULT_AVATAR) for c in items}
        assert default == {True, False}
        assert any(c["is_edited"] for c in items)


def orm_comment(viewer, post, comment_id) -> dict:
    request = Request(APIRequestFactory().get("/"))
    comment = selectors.post_comments(post=post, viewer=viewer).get(pk=comment_id)
    return as_json(CommentSerializer(comment, context={"request": request}).data)


def test_created_edited_and_moderated_comments_answer_what_the_serializer_renders(thread):
    post, users = thread
    bob, mod = users["bob"], users["mod"]
    created = client_for(bob).post(f"/api/forum/posts/{post.pk}/comments/", {"content": "new"})
    assert created.status_code == 201
    comment_id = created.json()["id"]
    assert created.json() == orm_comment(bob, post, comment_id)
    edited = client_for(bob).patch(f"/api/forum/comments/{comment_id}/", {"content": "newer"})
    assert edited.json() == orm_comment(bob, post, comment_id)
    assert edited.json()["is_edited"] is True
    hidden = client_for(mod).post(f"/api/forum/comments/{comment_id}/hide/")
    assert hidden.status_code == 200, hidden.content
    assert hidden.json() == orm_comment(User.objects.get(pk=mod.pk), post, comment_id)
    assert hidden.json()["is_hidden"] is True


def test_a_comments_page_costs_the_same_queries_whatever_its_size(
    thread, django_assert_max_num_queries
):
    post, users = thread
    api = client_for(users["mod"])
    api.get(f"/api/forum/posts/{post.pk}/comments/")  # the moderator role is read once
    # the post's visibility; the comments with their authors and the viewer's likes
    with django_assert_max_num_queries(3):
        assert api.get(f"/api/forum/posts/{post.pk}/comments/?page_size=50").status_code == 200


@pytest.mark.parametrize("viewer", ["bob", "mod"])
def test_search_results_are_what_post_serializer_renders(world, viewer):  # noqa: F811
    users, _ = world
    user = users[viewer]
    body = bearer(user).get("/api/v1/forum/search/?q=images&type=posts").json()
    assert body["posts"], "the parity must be over posts"
    for item in body["posts"]:
        assert item == orm_post(fresh(user), item["id"])
