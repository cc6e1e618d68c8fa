"""Blocks silence notifications: nothing from a blocked user, nothing to them."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import NotFound

from core.exceptions import Conflict
from forum import services as forum
from notifications.models import Kind, Notification, NotificationDedupe
from notifications.services import Target, notify
from users import services as users_services

from .conftest import client_for, make_user, notifications_of

pytestmark = pytest.mark.django_db(transaction=True)


def kinds_of(user):
    return [n.kind for n in notifications_of(user)]


def block(blocker, blocked):
    users_services.block_user(blocker=blocker, blocked=blocked)


# --- the delivery check, whatever the caller -------------------------------------


@pytest.mark.parametrize("direction", ["recipient_blocked_actor", "actor_blocked_recipient"])
def test_news_across_a_block_is_dropped_at_delivery(direction):
    recipient, actor = make_user(), make_user()
    if direction == "recipient_blocked_actor":
        block(recipient, actor)
    else:
        block(actor, recipient)

    with transaction.atomic():
        notify(
            recipient_id=recipient.pk,
            kind=Kind.NEW_FOLLOWER,
            actor_id=actor.pk,
            target=Target("users.user", actor.pk),
        )
        notify(
            recipient_id=recipient.pk,
            kind=Kind.CHAT_MESSAGE,
            actor_id=actor.pk,
            target=Target("chat.conversation", actor.pk),
            data={"excerpt": "hi"},
        )

    assert Notification.objects.count() == 0
    # Not spent: the same news is told once the block is lifted.
    assert NotificationDedupe.objects.count() == 0


def test_notify_itself_runs_no_query():
    recipient, actor = make_user(), make_user()
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        notify(
            recipient_id=recipient.pk,
            kind=Kind.NEW_FOLLOWER,
            actor_id=actor.pk,
            target=Target("users.user", actor.pk),
        )
        assert captured.captured_queries == []
    assert kinds_of(recipient) == [Kind.NEW_FOLLOWER]


def test_others_are_still_told():
    recipient, blocked, friend = make_user(), make_user(), make_user()
    block(recipient, blocked)
    post = forum.create_post(author=recipient, content="hello")

    forum.set_post_like(user=friend, post_id=post.pk, liked=True)

    assert kinds_of(recipient) == [Kind.POST_LIKED]


@pytest.mark.django_db
def test_likes_queued_before_a_block_and_delivered_after_tell_only_the_others(
    django_capture_on_commit_callbacks,
):
    author, fan, friend = make_user(), make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        forum.set_post_like(user=fan, post_id=post.pk, liked=True)
        forum.set_post_like(user=friend, post_id=post.pk, liked=True)

    block(author, fan)
    for callback in queued:  # the deliveries run now, after the block
        callback()

    [told] = notifications_of(author)
    assert (told.actor_id, told.actor_count) == (friend.pk, 1)


# --- forum actions across a block --------------------------------------------------


def test_likes_and_comments_from_a_blocked_user_tell_nobody():
    author, blocked = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    comment = forum.create_comment(post=post, author=author, content="first")
    block(author, blocked)
    api = client_for(blocked)

    assert api.post(f"/api/v1/forum/posts/{post.pk}/like/").status_code == 404
    assert api.post(f"/api/v1/forum/comments/{comment.pk}/like/").status_code == 404
    assert (
        api.post(f"/api/v1/forum/posts/{post.pk}/comments/", {"content": "hi"}).status_code == 404
    )

    assert Notification.objects.count() == 0


def test_a_reply_from_a_blocked_user_tells_nobody():
    author, blocked, host = make_user(), make_user(), make_user()
    post = forum.create_post(author=host, content="a third party's post")
    comment = forum.create_comment(post=post, author=author, content="mine")
    Notification.objects.all().delete()
    block(author, blocked)

    reply = client_for(blocked).post(
        f"/api/v1/forum/posts/{post.pk}/comments/", {"content": "re", "parent": comment.pk}
    )

    assert reply.status_code == 400
    assert notifications_of(author) == []


@pytest.mark.parametrize("where", ["post", "comment"])
def test_a_mention_from_a_blocked_user_tells_only_the_others(where):
    blocker, blocked = make_user("blocker_m"), make_user()
    friend = make_user("friend_m")
    block(blocker, blocked)
    text = "hey @blocker_m and @friend_m"

    if where == "post":
        forum.create_post(author=blocked, content=text)
    else:
        post = forum.create_post(author=make_user(), content="host")
        forum.create_comment(post=post, author=blocked, content=text)

    assert notifications_of(blocker) == []
    assert kinds_of(friend) == [Kind.MENTION]


def test_the_blocker_mentioning_the_blocked_tells_them_nothing():
    blocker, blocked = make_user(), make_user("blocked_m")
    block(blocker, blocked)

    forum.create_post(author=blocker, content="@blocked_m is blocked")

    assert Notification.objects.count() == 0


def test_a_moderator_who_was_blocked_is_not_told_of_the_blockers_mention():
    blocker, moderator = make_user(), make_user("mod_m", is_staff=True)
    block(blocker, moderator)

    # Moderators still see the post, so only the delivery check stands in the way.
    forum.create_post(author=blocker, content="@mod_m look")

    assert Notification.objects.count() == 0


def test_a_follow_across_a_block_tells_nobody():
    blocker, blocked = make_user(), make_user()
    block(blocker, blocked)

    with pytest.raises(NotFound):
        users_services.follow(follower=blocked, followee=blocker)
    with pytest.raises(Conflict):
        users_services.follow(follower=blocker, followee=blocked)
    assert client_for(blocked).post(f"/api/v1/users/{blocker.pk}/follow/").status_code == 404

    assert Notification.objects.count() == 0


def test_after_unblocking_news_flows_again():
    author, fan = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    block(author, fan)
    users_services.unblock_user(blocker=author, blocked=fan)

    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    users_services.follow(follower=fan, followee=author)

    assert sorted(kinds_of(author)) == sorted([Kind.POST_LIKED, Kind.NEW_FOLLOWER])
