"""The suite's factories go through the services: counters, blocks and
notifications come out as production leaves them."""

import pytest

from notifications.models import Kind
from tests.factories import (
    BlockFactory,
    CommentFactory,
    CommentLikeFactory,
    DeviceFactory,
    FollowFactory,
    MediaRowFactory,
    NotificationFactory,
    PostFactory,
    PostLikeFactory,
    ReportFactory,
    UploadedMediaFactory,
    make_user,
)
from users.models import Follow, Profile

pytestmark = pytest.mark.django_db


def test_make_user_names_the_user_and_gives_a_profile():
    jane, anybody = make_user("jane"), make_user()

    assert (jane.username, jane.email) == ("jane", "jane@example.com")
    assert anybody.username != jane.username
    assert Profile.objects.filter(user__in=[jane, anybody]).count() == 2


def test_follows_posts_comments_and_likes_move_the_counters():
    author, fan = make_user(), make_user()
    FollowFactory(follower=fan, followee=author)
    post = PostFactory(author=author)
    comment = CommentFactory(post=post, author=fan)
    reply = CommentFactory(post=post, author=author, parent=comment)
    PostLikeFactory(post=post, user=fan)
    CommentLikeFactory(comment=comment, user=author)

    post.refresh_from_db()
    comment.refresh_from_db()
    author_profile, fan_profile = Profile.objects.get(user=author), Profile.objects.get(user=fan)
    assert (author_profile.follower_count, fan_profile.following_count) == (1, 1)
    assert author_profile.post_count == 1
    assert (post.like_count, post.comment_count) == (1, 2)
    assert comment.like_count == 1
    assert reply.parent_id == comment.pk


def test_a_block_goes_through_the_service_and_drops_the_follows():
    one, two = make_user(), make_user()
    FollowFactory(follower=one, followee=two)

    BlockFactory(blocker=one, blocked=two)

    assert not Follow.objects.filter(follower=one, followee=two).exists()
    assert Profile.objects.get(user=two).follower_count == 0


def test_reports_devices_media_and_notifications(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    post = PostFactory()
    reporter = make_user()

    report = ReportFactory(reporter=reporter, post=post)
    comment_report = ReportFactory(reporter=reporter, post=post, comment=CommentFactory(post=post))
    device = DeviceFactory(token="phone-1")
    uploaded = UploadedMediaFactory(owner=post.user)
    row = MediaRowFactory(post=post)
    told = NotificationFactory(recipient=post.user, kind=Kind.NEW_FOLLOWER, actor=reporter)

    assert (report.post_id, comment_report.comment_id) == (post.pk, comment_report.comment.pk)
    assert (device.token, device.is_active) == ("phone-1", True)
    assert uploaded.post_id is None and uploaded.width > 0
    assert row.owner_id == post.user_id
    assert (told.recipient_id, told.actor_id, told.kind) == (
        post.user_id,
        reporter.pk,
        Kind.NEW_FOLLOWER,
    )
