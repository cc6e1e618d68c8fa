"""Who is told what: every trigger from the forum and follows, and every non-trigger."""

from datetime import timedelta

import pytest
from django.utils import timezone

from forum import services as forum
from forum.models import ForumComment, ForumPost
from notifications.models import Kind, Notification, NotificationDedupe
from tests.clients import client_for
from tests.concurrency import run_in_parallel
from tests.factories import make_user
from users import services as users_services
from users.models import Follow

from .conftest import about, notifications_of, notifications_settings

pytestmark = pytest.mark.django_db(transaction=True)


def hide(post):
    ForumPost.objects.filter(pk=post.pk).update(hidden_at=timezone.now())
    post.refresh_from_db()


def kinds_of(user):
    return [n.kind for n in notifications_of(user)]


# --- post likes --------------------------------------------------------------------


def test_a_like_tells_the_author_once():
    author, fan = make_user(), make_user("fan")
    post = forum.create_post(author=author, content="hello")

    forum.set_post_like(user=fan, post_id=post.pk, liked=True)

    [n] = notifications_of(author)
    assert (n.kind, n.actor_id, n.actor_count) == (Kind.POST_LIKED, fan.pk, 1)
    assert (n.target_type, n.target_id, n.data) == (
        "forum.post",
        str(post.pk),
        {"post_id": str(post.pk)},
    )
    assert n.read_at is None
    assert notifications_of(fan) == []


def test_a_like_over_http_tells_the_author():
    author, fan = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")

    assert client_for(fan).post(f"/api/v1/forum/posts/{post.pk}/like/").status_code == 200

    assert kinds_of(author) == [Kind.POST_LIKED]


def test_liking_your_own_post_tells_nobody():
    author = make_user()
    post = forum.create_post(author=author, content="me")

    forum.set_post_like(user=author, post_id=post.pk, liked=True)

    assert Notification.objects.count() == 0


def test_like_unlike_like_tells_once():
    author, fan = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")

    for liked in (True, False, True, False, True):
        forum.set_post_like(user=fan, post_id=post.pk, liked=liked)

    [n] = notifications_of(author)
    assert n.actor_count == 1


def test_like_unlike_like_tells_once_even_after_the_first_was_read():
    author, fan = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    Notification.objects.update(read_at=timezone.now())

    forum.set_post_like(user=fan, post_id=post.pk, liked=False)
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)

    assert Notification.objects.count() == 1


def test_likes_on_one_post_fold_into_one_row():
    author = make_user()
    fans = [make_user(f"fan{i}x") for i in range(4)]
    post = forum.create_post(author=author, content="popular")

    for fan in fans:
        forum.set_post_like(user=fan, post_id=post.pk, liked=True)

    [n] = notifications_of(author)
    assert n.actor_count == 4
    assert n.actor_id == fans[-1].pk
    assert n.recent_actor_ids == [str(f.pk) for f in reversed(fans)][:3]
    resp = client_for(author).get("/api/v1/notifications/")
    [item] = resp.json()["notifications"]
    assert item["title"] == f"{fans[-1].username} and 3 others liked your post"
    assert item["actor"]["id"] == str(fans[-1].pk)


def test_likes_on_different_posts_do_not_fold():
    author, fan = make_user(), make_user()
    first = forum.create_post(author=author, content="one")
    second = forum.create_post(author=author, content="two")

    forum.set_post_like(user=fan, post_id=first.pk, liked=True)
    forum.set_post_like(user=fan, post_id=second.pk, liked=True)

    assert sorted(n.target_id for n in notifications_of(author)) == sorted(
        [str(first.pk), str(second.pk)]
    )


def test_a_like_after_the_window_starts_a_new_row(settings):
    notifications_settings(settings, COLLAPSE_WINDOW_SECONDS=60)
    author, early, late = make_user(), make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    forum.set_post_like(user=early, post_id=post.pk, liked=True)
    Notification.objects.update(created_at=timezone.now() - timedelta(seconds=61))

    forum.set_post_like(user=late, post_id=post.pk, liked=True)

    old, new = notifications_of(author)
    assert (old.actor_id, old.actor_count) == (early.pk, 1)
    assert (new.actor_id, new.actor_count) == (late.pk, 1)


def test_a_like_after_the_row_was_read_starts_a_new_row():
    author, first, second = make_user(), make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    forum.set_post_like(user=first, post_id=post.pk, liked=True)
    Notification.objects.update(read_at=timezone.now())

    forum.set_post_like(user=second, post_id=post.pk, liked=True)

    read, unread = notifications_of(author)
    assert read.read_at is not None and read.actor_count == 1
    assert unread.read_at is None and unread.actor_id == second.pk


@pytest.mark.requires_postgres
def test_parallel_likes_fold_into_exactly_one_row():
    author = make_user()
    post = forum.create_post(author=author, content="popular")
    fans = [make_user() for _ in range(10)]

    run_in_parallel(
        [lambda fan=fan: forum.set_post_like(user=fan, post_id=post.pk, liked=True) for fan in fans]
    )

    [n] = notifications_of(author)
    assert n.actor_count == 10


def test_a_hidden_post_tells_nobody():
    author = make_user()
    staff = make_user(is_staff=True, is_superuser=True)  # moderators still see hidden posts
    post = forum.create_post(author=author, content="hidden soon")
    hide(post)

    forum.set_post_like(user=staff, post_id=post.pk, liked=True)
    forum.create_comment(post=post, author=staff, content="hi @" + author.username)

    assert Notification.objects.count() == 0


def test_an_inactive_recipient_is_told_nothing():
    author, fan = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    author.is_active = False
    author.save(update_fields=["is_active"])

    forum.set_post_like(user=fan, post_id=post.pk, liked=True)

    assert Notification.objects.count() == 0


def test_nothing_is_told_when_the_action_rolls_back():
    from django.db import transaction

    author, fan = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")

    with pytest.raises(RuntimeError), transaction.atomic():
        forum.set_post_like(user=fan, post_id=post.pk, liked=True)
        raise RuntimeError("rolled back")

    assert Notification.objects.count() == 0
    assert NotificationDedupe.objects.count() == 0


# --- comment likes -----------------------------------------------------------------


def test_a_comment_like_tells_the_comment_author_once():
    author, commenter, fan = make_user(), make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    comment = forum.create_comment(post=post, author=commenter, content="nice")
    Notification.objects.all().delete()

    for liked in (True, False, True):
        forum.set_comment_like(user=fan, comment_id=comment.pk, liked=liked)
    forum.set_comment_like(user=commenter, comment_id=comment.pk, liked=True)

    [n] = notifications_of(commenter)
    assert about(n) == (Kind.COMMENT_LIKED, fan.pk, "forum.comment", str(comment.pk))
    assert notifications_of(author) == []


def test_a_hidden_comment_tells_nobody_of_its_likes():
    author, commenter = make_user(), make_user()
    staff = make_user(is_staff=True, is_superuser=True)  # sees hidden comments
    post = forum.create_post(author=author, content="hello")
    comment = forum.create_comment(post=post, author=commenter, content="rude")
    Notification.objects.all().delete()
    ForumComment.objects.filter(pk=comment.pk).update(hidden_at=timezone.now())

    forum.set_comment_like(user=staff, comment_id=comment.pk, liked=True)

    assert Notification.objects.count() == 0


# --- comments and replies ----------------------------------------------------------


def test_a_comment_tells_the_post_author():
    author, commenter = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")

    comment = forum.create_comment(post=post, author=commenter, content="Great post!")

    [n] = notifications_of(author)
    assert (n.kind, n.actor_id, n.target_id) == (
        Kind.COMMENT_ON_POST,
        commenter.pk,
        str(comment.pk),
    )
    assert n.data == {
        "post_id": str(post.pk),
        "comment_id": str(comment.pk),
        "excerpt": "Great post!",
    }


def test_commenting_on_your_own_post_tells_nobody():
    author = make_user()
    post = forum.create_post(author=author, content="hello")

    forum.create_comment(post=post, author=author, content="me again")

    assert Notification.objects.count() == 0


def test_every_comment_is_told_not_folded():
    author, commenter = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")

    forum.create_comment(post=post, author=commenter, content="one")
    forum.create_comment(post=post, author=commenter, content="two")

    assert kinds_of(author) == [Kind.COMMENT_ON_POST, Kind.COMMENT_ON_POST]


def test_a_reply_tells_the_parent_author_and_the_post_author():
    author, first, replier = make_user(), make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    parent = forum.create_comment(post=post, author=first, content="first!")
    Notification.objects.all().delete()

    forum.create_comment(post=post, author=replier, content="reply", parent_id=parent.pk)

    assert kinds_of(first) == [Kind.REPLY_TO_COMMENT]
    assert kinds_of(author) == [Kind.COMMENT_ON_POST]


def test_a_reply_to_the_post_authors_comment_tells_them_once():
    author, replier = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    parent = forum.create_comment(post=post, author=author, content="mine")

    forum.create_comment(post=post, author=replier, content="reply", parent_id=parent.pk)

    assert kinds_of(author) == [Kind.REPLY_TO_COMMENT]


def test_replying_to_yourself_tells_only_the_post_author():
    author, commenter = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    parent = forum.create_comment(post=post, author=commenter, content="one")
    Notification.objects.all().delete()

    forum.create_comment(post=post, author=commenter, content="two", parent_id=parent.pk)

    assert notifications_of(commenter) == []
    assert kinds_of(author) == [Kind.COMMENT_ON_POST]


def test_the_post_author_replying_tells_only_the_parent_author():
    author, commenter = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    parent = forum.create_comment(post=post, author=commenter, content="q?")
    Notification.objects.all().delete()

    forum.create_comment(post=post, author=author, content="a!", parent_id=parent.pk)

    assert kinds_of(commenter) == [Kind.REPLY_TO_COMMENT]
    assert notifications_of(author) == []


# --- mentions ------------------------------------------------------------------------


def test_a_mention_in_a_post_tells_the_mentioned():
    author, bob = make_user(), make_user("bob.builder")
    post = forum.create_post(author=author, content="Thanks @Bob.Builder. See you!")

    [n] = notifications_of(bob)
    assert about(n) == (Kind.MENTION, author.pk, "forum.post", str(post.pk))


def test_not_a_mention():
    author = make_user("writer")
    make_user("bob")
    make_user("example")
    forum.create_post(author=author, content="mail bob@example.com, or @nobody_here, or @writer")

    assert Notification.objects.count() == 0


def test_one_post_mentioning_twice_tells_once_and_edits_do_not_repeat_it():
    author, bob, carol = make_user(), make_user("bobby"), make_user("carol")
    post = forum.create_post(author=author, content="@bobby @bobby @BOBBY")

    forum.update_post(post=post, editor=author, content="@bobby and @carol", fields={"content"})

    assert kinds_of(bob) == [Kind.MENTION]
    assert kinds_of(carol) == [Kind.MENTION]


def test_a_mention_tells_only_who_may_see_the_post():
    author, follower, outsider = make_user(), make_user("follower1"), make_user("outsider1")
    Follow.objects.create(follower=follower, followee=author)

    forum.create_post(author=author, content="@follower1 @outsider1", privacy="followers")
    forum.create_post(author=author, content="@follower1 secret", privacy="private")

    assert kinds_of(follower) == [Kind.MENTION]
    assert notifications_of(outsider) == []


def test_a_mention_in_a_comment_tells_the_mentioned_once():
    author, commenter, dora = make_user(), make_user(), make_user("dora")
    post = forum.create_post(author=author, content="hello")

    comment = forum.create_comment(
        post=post, author=commenter, content=f"@dora @{author.username} look"
    )

    [n] = notifications_of(dora)
    assert (n.kind, n.target_type, n.target_id) == (Kind.MENTION, "forum.comment", str(comment.pk))
    # The author is told about the comment, not a second time about the mention.
    assert kinds_of(author) == [Kind.COMMENT_ON_POST]


def test_a_mention_added_by_editing_a_comment_is_told():
    author, commenter, erin = make_user(), make_user(), make_user("erin")
    post = forum.create_post(author=author, content="hello")
    comment = forum.create_comment(post=post, author=commenter, content="hi")

    forum.update_comment(comment=comment, editor=commenter, content="hi @erin")
    forum.update_comment(comment=comment, editor=commenter, content="hi @erin!")

    assert kinds_of(erin) == [Kind.MENTION]


def test_mentions_are_capped(settings):
    notifications_settings(settings, MAX_MENTIONS=2)
    author = make_user()
    mentioned = [make_user(f"m{i}user") for i in range(4)]

    forum.create_post(author=author, content=" ".join(f"@{u.username}" for u in mentioned))

    assert Notification.objects.filter(kind=Kind.MENTION).count() == 2


# --- follows -------------------------------------------------------------------------


def test_a_follow_tells_the_followed_once():
    fan, star = make_user(), make_user()

    users_services.follow(follower=fan, followee=star)
    users_services.unfollow(follower=fan, followee=star)
    users_services.follow(follower=fan, followee=star)

    [n] = notifications_of(star)
    assert about(n) == (Kind.NEW_FOLLOWER, fan.pk, "users.user", str(fan.pk))
    assert notifications_of(fan) == []


def test_a_follow_over_http_tells_the_followed():
    fan, star = make_user(), make_user()

    assert client_for(fan).post(f"/api/v1/users/{star.pk}/follow/").status_code == 200

    assert kinds_of(star) == [Kind.NEW_FOLLOWER]


def test_follows_do_not_fold():
    star = make_user()
    for _ in range(3):
        users_services.follow(follower=make_user(), followee=star)

    assert kinds_of(star) == [Kind.NEW_FOLLOWER] * 3


# --- the entry point -----------------------------------------------------------------


def test_notify_refuses_unknown_kinds_and_skips_self():
    from notifications.services import notify

    user = make_user()
    with pytest.raises(ValueError):
        notify(recipient_id=user.pk, kind="poked", actor_id=None)

    notify(recipient_id=user.pk, kind=Kind.SYSTEM, actor_id=user.pk, data={"title": "x"})
    assert Notification.objects.count() == 0


def test_notify_with_a_dedupe_key_tells_once():
    from notifications.services import Target, notify

    buyer = make_user()
    for _ in range(2):
        notify(
            recipient_id=buyer.pk,
            kind=Kind.ORDER_PAID,
            target=Target("commerce.order", "42"),
            data={"order_id": "42"},
            dedupe_key="order_paid:42",
        )

    [n] = notifications_of(buyer)
    assert (n.kind, n.actor_id, n.target_id) == (Kind.ORDER_PAID, None, "42")
