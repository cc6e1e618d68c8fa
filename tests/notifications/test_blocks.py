"""Blocks silence notifications: nothing from a blocked user, nothing to them."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.exceptions import Conflict, NotFound
from forum import services as forum
from notifications.models import Kind, Notification, NotificationDedupe
from notifications.services import Target, notify
from notifications.services.delivery import deliver
from notifications.targets import register_target_check, unregister_target_check
from tests.clients import client_for
from tests.concurrency import held_up_by, in_thread, run_in_parallel
from tests.factories import make_user
from users import services as users_services

from .conftest import notifications_of

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


# --- a delivery and a block on two connections ---------------------------------------
# The delivery's block check and the row it stores are one with a block's withdrawal:
# whichever of the two commits second sees what the first did.


def unread(user) -> int:
    resp = client_for(user).get("/api/v1/notifications/unread-count/")
    assert resp.status_code == 200
    return resp.json()["unread_count"]


def between(a, b) -> list:
    """Rows either of the two was told about the other: as actor or folded in."""
    return [
        row
        for row in Notification.objects.filter(recipient__in=[a, b])
        for other in [b if row.recipient_id == a.pk else a]
        if row.actor_id == other.pk or str(other.pk) in row.recent_actor_ids
    ]


def told(user) -> list[tuple]:
    """(actor, count) of each of the user's rows."""
    return [(n.actor_id, n.actor_count) for n in notifications_of(user)]


def _like_queued(held, *, folded: bool):
    """A fan's like of the author's post, queued, not delivered; with `folded`, a
    friend's like of the same post was told first, so the fan's folds into it."""
    author, fan, friend = make_user(), make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    if folded:
        forum.set_post_like(user=friend, post_id=post.pk, liked=True)
        held.run()
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    [job] = held
    left = [(friend.pk, 1)] if folded else []
    return author, fan, job, left


def _blocking(who_blocks, *, author, fan):
    """The block of the pair: the recipient (the author) blocks, or the actor does."""
    blocker, blocked = (author, fan) if who_blocks == "recipient" else (fan, author)
    return lambda: users_services.block_user(blocker=blocker, blocked=blocked)


@pytest.mark.requires_postgres
@pytest.mark.parametrize("folded", [False, True], ids=["alone", "folded"])
@pytest.mark.parametrize("who_blocks", ["recipient", "actor"])
def test_a_block_waits_for_a_delivery_in_flight_and_then_withdraws_it(held, who_blocks, folded):
    author, fan, job, left = _like_queued(held, folded=folded)

    # Checked and stored, not committed: the block must not withdraw before it can
    # see the row, so it waits for the delivery's hold on the two users.
    stored, outcome = held_up_by(
        lambda: deliver(**job), _blocking(who_blocks, author=author, fan=fan)
    )

    assert stored is not None and outcome == {"value": True}
    assert between(author, fan) == []
    assert told(author) == left and unread(author) == len(left)


@pytest.mark.requires_postgres
@pytest.mark.parametrize("folded", [False, True], ids=["alone", "folded"])
@pytest.mark.parametrize("who_blocks", ["recipient", "actor"])
def test_a_delivery_waits_for_a_block_in_flight_and_then_tells_nothing(held, who_blocks, folded):
    author, fan, job, left = _like_queued(held, folded=folded)

    # Blocked and withdrawn, not committed: a delivery now must not go by the state
    # before it, so it waits for the block's lock on the two users.
    blocked, outcome = held_up_by(
        _blocking(who_blocks, author=author, fan=fan), lambda: deliver(**job)
    )

    assert blocked is True and outcome == {"value": None}
    assert between(author, fan) == []
    assert told(author) == left and unread(author) == len(left)
    # Nothing was told, so nothing is deduped: told again after an unblock.
    assert not NotificationDedupe.objects.filter(recipient=author, key__contains=str(fan.pk))


@pytest.mark.requires_postgres
def test_a_delivery_in_flight_holds_up_no_counter_of_the_two(held):
    author, fan, job, _ = _like_queued(held, folded=False)
    newcomer = make_user()

    def bump_counters():
        users_services.follow(follower=newcomer, followee=author)
        forum.create_post(author=fan, content="another")

    with transaction.atomic():
        assert deliver(**job) is not None
        worker, outcome = in_thread(bump_counters)
        worker.join(timeout=10)
        assert not worker.is_alive()  # done before the delivery commits
    assert outcome == {"value": None}
    author.profile.refresh_from_db()
    fan.profile.refresh_from_db()
    assert (author.profile.follower_count, fan.profile.post_count) == (1, 1)


@pytest.fixture
def paused_target():
    """A target type whose delivery check stops the delivery, its transaction open,
    until `release` is set; `reached` is set when it gets there."""
    reached, release = threading.Event(), threading.Event()

    def check(target_id) -> bool:
        reached.set()
        return release.wait(timeout=10)

    register_target_check("tests.paused", check)
    yield reached, release
    release.set()
    unregister_target_check("tests.paused")


@pytest.mark.requires_postgres
@pytest.mark.parametrize("who_blocks", ["recipient", "actor"])
def test_a_block_committed_while_a_delivery_runs_is_seen_by_it(held, paused_target, who_blocks):
    reached, release = paused_target
    author, fan = make_user(), make_user()
    with transaction.atomic():
        notify(
            recipient_id=author.pk,
            kind=Kind.CHAT_MESSAGE,
            actor_id=fan.pk,
            target=Target("tests.paused", fan.pk),
            data={"excerpt": "hi"},
        )
    [job] = held

    worker, outcome = in_thread(lambda: deliver(**job))
    assert reached.wait(timeout=10)  # the delivery runs, in its transaction
    assert _blocking(who_blocks, author=author, fan=fan)()  # and the block commits
    release.set()
    worker.join(timeout=10)

    assert outcome == {"value": None}
    assert Notification.objects.count() == 0 and unread(author) == 0


@pytest.mark.requires_postgres
def test_deliveries_both_ways_racing_a_block_leave_nothing_between_the_two(held):
    author, fan, friend = make_user(), make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    fans_post = forum.create_post(author=fan, content="mine")
    forum.set_post_like(user=friend, post_id=post.pk, liked=True)
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    forum.create_comment(post=post, author=fan, content="nice")
    forum.set_post_like(user=author, post_id=fans_post.pk, liked=True)
    forum.create_comment(post=fans_post, author=author, content="thanks")
    jobs = list(held)
    assert len(jobs) == 5
    held.clear()

    run_in_parallel(
        [_blocking("recipient", author=author, fan=fan)]
        + [lambda job=job: deliver(**job) for job in jobs]
    )

    assert between(author, fan) == []
    assert told(author) == [(friend.pk, 1)] and unread(author) == 1
    assert told(fan) == [] and unread(fan) == 0
