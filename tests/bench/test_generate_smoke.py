"""bench/generate_forum_data.py at a tiny size, against the test database.

The benchmarks themselves never run under pytest; this only checks that the
generator's data obeys the project's rules and that the load puts back every
index and constraint it drops.
"""

from collections import defaultdict
from pathlib import PurePosixPath

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F

from bench.generate_forum_data import (
    MEDIA_PER_POST,
    VIEWER_EMAIL,
    Sizes,
    bulk_tables,
    counter_mismatches,
    load,
    schema_snapshot,
)
from core.media import ALLOWED_FORMATS
from forum.media import media_id_from_url
from forum.models import ForumComment, ForumPost, Media, PostLike, Privacy
from users.models import Follow, User

from ..forum.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.requires_postgres]

SIZES = Sizes(users=60, follows=400, posts=300, comments=900, likes=2_000, media_posts=90, tags=15)


@pytest.fixture
def loaded():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        before = schema_snapshot(cursor, bulk_tables().values())
    result = load(connection.connection, SIZES, seed=7, quiet=True)
    with connection.cursor() as cursor:
        after = schema_snapshot(cursor, bulk_tables().values())
    return result, before, after


def test_load_restores_every_index_and_constraint(loaded):
    _, before, after = loaded
    assert len(before) > 20
    assert after == before


def test_rows_and_counters(loaded):
    result, _, _ = loaded
    assert result.rows["user"] == User.objects.count() == SIZES.users
    assert result.rows["post"] == ForumPost.objects.count() == SIZES.posts
    assert result.rows["comment"] == ForumComment.objects.count()
    assert result.rows["like"] == PostLike.objects.count()
    assert abs(result.rows["like"] - SIZES.likes) <= SIZES.likes * 0.05
    assert abs(result.rows["comment"] - SIZES.comments) <= SIZES.comments * 0.1
    assert result.rows["media"] == Media.objects.count()
    with connection.cursor() as cursor:
        assert set(counter_mismatches(cursor).values()) == {0}


def follows(follower_id, followee_id) -> bool:
    return Follow.objects.filter(follower=follower_id, followee=followee_id).exists()


def test_data_obeys_visibility_and_threading_rules(loaded):
    privacies = set(ForumPost.objects.values_list("privacy", flat=True))
    assert privacies == {Privacy.PUBLIC, Privacy.FOLLOWERS, Privacy.PRIVATE}
    private = ForumPost.objects.filter(privacy=Privacy.PRIVATE)
    assert not PostLike.objects.filter(post__in=private).exists()
    assert not ForumComment.objects.filter(post__in=private).exclude(user=F("post__user")).exists()
    for like in PostLike.objects.filter(post__privacy=Privacy.FOLLOWERS).select_related("post"):
        assert follows(like.user_id, like.post.user_id)
    followers_only = ForumComment.objects.filter(post__privacy=Privacy.FOLLOWERS).select_related(
        "post"
    )
    for comment in followers_only.exclude(user=F("post__user")):
        assert follows(comment.user_id, comment.post.user_id)
    assert not PostLike.objects.filter(created_at__lt=F("post__timestamp")).exists()
    assert not ForumComment.objects.filter(timestamp__lt=F("post__timestamp")).exists()

    replies = ForumComment.objects.filter(parent__isnull=False).select_related("parent")
    assert replies.exists()
    for reply in replies:
        assert reply.parent.post_id == reply.post_id
        assert reply.depth == reply.parent.depth + 1 <= settings.FORUM["MAX_COMMENT_DEPTH"]
    assert not ForumComment.objects.filter(parent__isnull=True, depth__gt=0).exists()


def test_media_rows_look_like_uploads_attached_to_posts(loaded):
    media = list(Media.objects.select_related("post"))
    assert media
    positions = defaultdict(list)
    for item in media:
        assert item.post is not None
        assert item.owner_id == item.post.user_id
        assert item.created_at == item.post.timestamp
        positions[item.post_id].append(item.position)
    assert all(sorted(found) == list(range(len(found))) for found in positions.values())
    assert max(len(found) for found in positions.values()) <= max(MEDIA_PER_POST)
    # About 30% of posts; mostly one image each, some several.
    assert 0.2 <= len(positions) / SIZES.posts <= 0.4
    assert 1 < len(media) / len(positions) < 2

    extension_of = dict(ALLOWED_FORMATS.values())  # content type -> extension
    max_side = settings.MEDIA["POST_IMAGE_MAX_SIDE"]
    sizes = {str(size) for size in settings.MEDIA["THUMBNAIL_SIZES"]}
    thumbnailed = 0
    for item in media:
        name = PurePosixPath(item.file.name)
        assert name.suffix == "." + extension_of[item.content_type]
        assert str(name.parent) == f"forum/{item.created_at:%Y/%m}"
        assert media_id_from_url(url=item.file.url) == item.pk
        assert 0 < max(item.width, item.height) <= max_side and min(item.width, item.height) > 0
        assert item.size_bytes > 0
        if item.thumbnails:
            thumbnailed += 1
            assert item.thumbnails == {
                size: f"{name.parent}/{name.stem}_{size}{name.suffix}" for size in sizes
            }
    assert {item.content_type for item in media} == set(extension_of)
    assert 0.8 * len(media) <= thumbnailed < len(media)


def test_the_bench_viewer_gets_a_feed(loaded):
    viewer = User.objects.get(email=VIEWER_EMAIL)
    assert Follow.objects.filter(follower=viewer).count() == SIZES.users - 1

    response = client_for(viewer).get("/api/v1/forum/posts/")

    assert response.status_code == 200
    posts = response.json()["posts"]
    assert len(posts) == 20
    assert [p["timestamp"] for p in posts] == sorted((p["timestamp"] for p in posts), reverse=True)
    with_media = [p for p in posts if p["media"]]
    assert with_media
    assert all(p["media_url"] == p["media"][0]["url"] for p in with_media)
