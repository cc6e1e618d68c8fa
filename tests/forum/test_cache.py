"""The shared cache of public post bodies: fresh after writes, per-viewer fields never shared."""

import pytest
from django.core.cache import cache

from forum import cache as post_cache
from forum import feed, moderation, services
from forum.read_models import POST
from tests.clients import client_for
from tests.factories import make_user
from users.models import User
from users.roles import grant_moderator

from .test_media import image_bytes, upload_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(author):
    return services.create_post(author=author, content="Cached words", tags=["cache"])


def detail(user, post_id):
    return client_for(user).get(f"/api/forum/posts/{post_id}/")


def test_hits_cost_one_query_and_keep_is_liked_per_viewer(
    post, author, stranger, django_assert_num_queries
):
    client_for(stranger).put(f"/api/forum/posts/{post.pk}/like/")
    first = detail(author, post.pk).json()  # fills the cache
    # the author and the viewer's like, in one query; the body comes from the cache
    with django_assert_num_queries(1):
        as_author = detail(author, post.pk).json()
    with django_assert_num_queries(1):
        as_liker = detail(stranger, post.pk).json()
    assert as_author == first
    assert (as_author["is_liked"], as_liker["is_liked"]) == (False, True)
    assert as_author["like_count"] == as_liker["like_count"] == 1
    assert {k: v for k, v in as_author.items() if k != "is_liked"} == {
        k: v for k, v in as_liker.items() if k != "is_liked"
    }


def test_a_cached_body_renders_exactly_like_an_uncached_one(post, stranger, settings):
    detail(stranger, post.pk)
    cached = detail(stranger, post.pk)
    settings.FORUM = {**settings.FORUM, "CACHE_SECONDS": 0}
    assert cached.content == detail(stranger, post.pk).content


def test_a_read_right_after_a_like_shows_it(post, author, stranger):
    assert detail(stranger, post.pk).json()["like_count"] == 0
    client_for(stranger).post(f"/api/forum/posts/{post.pk}/like/")
    mine, theirs = detail(stranger, post.pk).json(), detail(author, post.pk).json()
    assert (mine["like_count"], mine["is_liked"]) == (1, True)
    assert (theirs["like_count"], theirs["is_liked"]) == (1, False)
    client_for(stranger).delete(f"/api/forum/posts/{post.pk}/like/")
    assert detail(stranger, post.pk).json()["like_count"] == 0


def test_a_read_right_after_an_edit_shows_it(post, author, stranger):
    detail(stranger, post.pk)
    client_for(author).patch(
        f"/api/forum/posts/{post.pk}/", {"content": "New words", "tags": ["fresh"]}
    )
    body = detail(stranger, post.pk).json()
    assert (body["content"], body["tags"], body["is_edited"]) == ("New words", ["fresh"], True)


def test_comment_count_changes_show_at_once(post, author, stranger):
    detail(stranger, post.pk)
    comment = services.create_comment(post=post, author=stranger, content="hi")
    assert detail(stranger, post.pk).json()["comment_count"] == 1
    moderator = make_user()
    grant_moderator(moderator)
    moderation.hide_comment(comment=comment, moderator=moderator)
    assert detail(stranger, post.pk).json()["comment_count"] == 0
    moderation.restore_comment(comment=comment, moderator=moderator)
    assert detail(stranger, post.pk).json()["comment_count"] == 1
    services.delete_comment(comment=comment, actor=stranger)
    assert detail(stranger, post.pk).json()["comment_count"] == 0


def test_hiding_privacy_and_deletion_take_a_cached_post_away(post, author, stranger):
    moderator = make_user()
    grant_moderator(moderator)
    detail(stranger, post.pk)
    moderation.hide_post(post=post, moderator=moderator)
    assert detail(stranger, post.pk).status_code == 404
    moderation.restore_post(post=post, moderator=moderator)
    assert detail(stranger, post.pk).status_code == 200
    client_for(author).patch(f"/api/forum/posts/{post.pk}/", {"content": "x", "privacy": "private"})
    assert detail(stranger, post.pk).status_code == 404
    client_for(author).patch(f"/api/forum/posts/{post.pk}/", {"content": "x", "privacy": "public"})
    assert detail(stranger, post.pk).status_code == 200
    client_for(author).delete(f"/api/forum/posts/{post.pk}/")
    assert detail(stranger, post.pk).status_code == 404


@pytest.mark.parametrize("privacy, reader", [("private", "author"), ("followers", "follower")])
def test_posts_not_public_are_never_cached(
    author, follower, privacy, reader, django_assert_max_num_queries
):
    post = services.create_post(author=author, content="not for all", privacy=privacy)
    viewer = {"author": author, "follower": follower}[reader]
    detail(viewer, post.pk)
    with django_assert_max_num_queries(10) as captured:
        assert detail(viewer, post.pk).status_code == 200
    # The whole visibility-checked read ran again: nothing came from the cache.
    assert any("forum_forumpost" in q["sql"] for q in captured.captured_queries)


def test_hidden_posts_are_never_cached(post, author, django_assert_max_num_queries):
    moderator = make_user()
    grant_moderator(moderator)
    moderation.hide_post(post=post, moderator=moderator)
    detail(author, post.pk)
    with django_assert_max_num_queries(10) as captured:
        assert detail(author, post.pk).json()["is_hidden"] is True
    assert any("forum_forumpost" in q["sql"] for q in captured.captured_queries)


def test_author_changes_show_at_once(post, author, stranger):
    detail(stranger, post.pk)
    User.objects.filter(pk=author.pk).update(username="renamed")
    assert detail(stranger, post.pk).json()["user"]["username"] == "renamed"


def test_new_media_and_thumbnails_show_at_once(
    post, author, stranger, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    assert detail(stranger, post.pk).json()["media"] == []
    with django_capture_on_commit_callbacks(execute=False) as thumbnail_tasks:
        resp = client_for(author).post(
            f"/api/v1/forum/posts/{post.pk}/media/batch/",
            {"files": [upload_file(image_bytes())]},
            format="multipart",
        )
    assert resp.status_code == 201
    [media] = detail(stranger, post.pk).json()["media"]
    assert media["thumbnails"] == {}
    for task in thumbnail_tasks:
        task()
    [media] = detail(stranger, post.pk).json()["media"]
    assert set(media["thumbnails"]) == {"320", "640"}


def test_a_body_read_before_a_write_is_never_served_after_it(post, author):
    """The race the version key closes: read version, write, store the stale body."""
    origin = "http://testserver"
    stale_version = post_cache.current_version(post.pk)
    row = feed.fetch_post(viewer=author, post_id=post.pk)
    shared = POST.renderer().shared(row)
    services.update_post(post=post, editor=author, content="newer", fields={"content"})
    post_cache.store_body(
        post_id=post.pk, row=row, version=stale_version, origin=origin, shared=shared
    )
    assert post_cache.current_version(post.pk) != stale_version
    assert detail(author, post.pk).json()["content"] == "newer"


def test_the_cache_lives_in_the_shared_backend(post, stranger, settings):
    detail(stranger, post.pk)
    version = post_cache.current_version(post.pk)
    stored = cache.get(f"forum:post:{post.pk}:{version}:http://testserver")
    assert set(stored) == POST.shared_names
    assert "is_liked" not in stored


def test_only_a_shared_part_can_be_stored(post, author):
    """A full rendering holds the viewer's is_liked: the cache refuses it by type."""
    row = feed.fetch_post(viewer=author, post_id=post.pk)
    renderer = POST.renderer()
    version = post_cache.current_version(post.pk)
    with pytest.raises(TypeError):
        post_cache.store_body(
            post_id=post.pk, row=row, version=version, origin="o", shared=renderer.one(row)
        )


def test_an_entry_that_is_not_exactly_the_shared_fields_is_a_miss(post, stranger, settings):
    """An entry holding a per-viewer field (or written before a field was added)
    is never served: the hit rebuilds the body from the database."""
    client_for(stranger).put(f"/api/forum/posts/{post.pk}/like/")
    body = detail(stranger, post.pk).json()
    version = post_cache.current_version(post.pk)
    key = f"forum:post:{post.pk}:{version}:http://testserver"
    cache.set(key, {**cache.get(key), "is_liked": True, "content": "poisoned"})
    assert detail(make_user(), post.pk).json() == {**body, "is_liked": False}
