"""Notifications are withdrawn when what they point at goes out of sight.

A moderator hiding a post or comment, its author deleting it, or a block between
recipient and actor removes the rows, keeps unread counts exact and tells every
open socket with `notification.deleted`; from a folded row a block takes only the
blocked user's part and the row is told again. Everything else stays, and news
delivered after its content went is not told at all.
"""

import pytest
from channels.db import database_sync_to_async
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from forum import moderation
from forum import services as forum
from forum.models import ForumComment
from notifications.models import Kind, Notification, NotificationActor, NotificationDedupe
from notifications.services import Target, delivery, withdraw_between, withdraw_notifications
from tests.clients import client_for
from tests.concurrency import held_up_by
from tests.factories import make_user
from tests.sockets import access_token
from users import services as users_services
from users.roles import grant_moderator

from .conftest import folded_row, notifications_of

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFICATION_TABLE = '"notifications_notification"'
ACTOR_TABLE = '"notifications_notificationactor"'


def make_moderator():
    user = make_user()
    grant_moderator(user)
    return user


def listed(user) -> set[str]:
    """The ids of the user's notifications, as the list API shows them."""
    resp = client_for(user).get("/api/v1/notifications/?page_size=100")
    assert resp.status_code == 200
    return {n["id"] for n in resp.json()["notifications"]}


def unread(user) -> int:
    resp = client_for(user).get("/api/v1/notifications/unread-count/")
    assert resp.status_code == 200
    return resp.json()["unread_count"]


def ids(*notifications) -> set[str]:
    return {str(n.pk) for n in notifications}


def only(user, kind, **filters) -> Notification:
    [row] = notifications_of(user, kind=kind, **filters)
    return row


# --- a moderator hides content -----------------------------------------------------


@pytest.mark.parametrize("how", ["hide", "resolve_report"])
def test_hiding_a_post_withdraws_what_was_said_about_it_and_its_comments(how):
    author, fan, commenter, reporter = make_user(), make_user(), make_user(), make_user()
    mentioned, moderator = make_user("mentioned_hp"), make_moderator()
    post = forum.create_post(author=author, content="hello @mentioned_hp")
    other = forum.create_post(author=author, content="another")
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    forum.set_post_like(user=commenter, post_id=post.pk, liked=True)
    comment = forum.create_comment(post=post, author=commenter, content="nice")
    forum.set_comment_like(user=fan, comment_id=comment.pk, liked=True)
    # Unrelated to the post: these stay.
    forum.set_post_like(user=fan, post_id=other.pk, liked=True)
    users_services.follow(follower=fan, followee=author)
    kept = ids(
        only(author, Kind.POST_LIKED, target_id=str(other.pk)), only(author, Kind.NEW_FOLLOWER)
    )
    # A read one goes too, without moving the unread count.
    client_for(author).post(f"/api/v1/notifications/{only(author, Kind.COMMENT_ON_POST).pk}/read/")
    assert len(listed(author)) == 4 and unread(author) == 3
    assert len(listed(mentioned)) == 1 and len(listed(commenter)) == 1

    if how == "hide":
        resp = client_for(moderator).post(f"/api/v1/forum/posts/{post.pk}/hide/")
    else:
        report = moderation.report_post(reporter=reporter, post_id=post.pk, reason="spam")
        resp = client_for(moderator).post(
            f"/api/v1/forum/reports/{report.pk}/resolve/", {"action": "hide"}
        )
    assert resp.status_code == 200

    assert listed(author) == kept and unread(author) == 2
    assert listed(mentioned) == set() and unread(mentioned) == 0
    assert listed(commenter) == set() and unread(commenter) == 0
    assert listed(fan) == set()  # never told anything: nothing to lose


def test_hiding_a_comment_withdraws_what_was_said_about_it_and_nothing_else():
    host, author, fan, replier = make_user(), make_user(), make_user(), make_user()
    mentioned, moderator = make_user("mentioned_hc"), make_moderator()
    post = forum.create_post(author=host, content="host")
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    comment = forum.create_comment(post=post, author=author, content="hi @mentioned_hc")
    forum.set_comment_like(user=fan, comment_id=comment.pk, liked=True)
    reply = forum.create_comment(post=post, author=replier, content="re", parent_id=comment.pk)
    # About the post and about the reply, not about the hidden comment: these stay.
    kept_host = ids(
        only(host, Kind.POST_LIKED), only(host, Kind.COMMENT_ON_POST, target_id=str(reply.pk))
    )
    kept_author = ids(only(author, Kind.REPLY_TO_COMMENT))
    assert len(listed(host)) == 3 and len(listed(author)) == 2 and len(listed(mentioned)) == 1

    resp = client_for(moderator).post(f"/api/v1/forum/comments/{comment.pk}/hide/")
    assert resp.status_code == 200

    assert listed(host) == kept_host and unread(host) == 2
    assert listed(author) == kept_author and unread(author) == 1
    assert listed(mentioned) == set() and unread(mentioned) == 0


def test_restoring_does_not_bring_them_back_but_new_news_flows():
    author, fan, late_fan, moderator = make_user(), make_user(), make_user(), make_moderator()
    post = forum.create_post(author=author, content="hello")
    comment = forum.create_comment(post=post, author=fan, content="first")
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    assert len(listed(author)) == 2
    mod = client_for(moderator)

    assert mod.post(f"/api/v1/forum/posts/{post.pk}/hide/").status_code == 200
    assert mod.post(f"/api/v1/forum/comments/{comment.pk}/hide/").status_code == 200
    assert listed(author) == set()
    assert mod.post(f"/api/v1/forum/posts/{post.pk}/restore/").status_code == 200
    assert mod.post(f"/api/v1/forum/comments/{comment.pk}/restore/").status_code == 200

    assert listed(author) == set() and unread(author) == 0
    forum.set_post_like(user=late_fan, post_id=post.pk, liked=True)
    [row] = notifications_of(author)
    assert (row.kind, row.actor_id, row.actor_count) == (Kind.POST_LIKED, late_fan.pk, 1)
    assert unread(author) == 1


def test_a_hide_that_rolls_back_withdraws_nothing():
    author, fan, moderator = make_user(), make_user(), make_moderator()
    post = forum.create_post(author=author, content="hello")
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    told = listed(author)

    with pytest.raises(RuntimeError), transaction.atomic():
        moderation.hide_post(post=post, moderator=moderator)
        raise RuntimeError("the caller fails after the hide")

    assert listed(author) == told and unread(author) == 1
    post.refresh_from_db()
    moderation.hide_post(post=post, moderator=moderator)
    assert listed(author) == set() and unread(author) == 0


# --- the author deletes --------------------------------------------------------------


def test_deleting_a_post_withdraws_what_was_said_about_it_and_its_comments():
    author, fan, commenter = make_user(), make_user(), make_user()
    mentioned = make_user("mentioned_dp")
    post = forum.create_post(author=author, content="bye @mentioned_dp")
    other = forum.create_post(author=author, content="stays")
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    comment = forum.create_comment(post=post, author=commenter, content="c")
    forum.set_comment_like(user=fan, comment_id=comment.pk, liked=True)
    forum.set_post_like(user=fan, post_id=other.pk, liked=True)
    kept = ids(only(author, Kind.POST_LIKED, target_id=str(other.pk)))
    assert len(listed(author)) == 3 and len(listed(commenter)) == 1
    assert len(listed(mentioned)) == 1

    assert client_for(author).delete(f"/api/v1/forum/posts/{post.pk}/").status_code == 204

    assert listed(author) == kept and unread(author) == 1
    assert listed(commenter) == set() and unread(commenter) == 0
    assert listed(mentioned) == set() and unread(mentioned) == 0


@pytest.mark.parametrize("shape", ["leaf", "with_replies"])
def test_deleting_a_comment_withdraws_what_was_said_about_it(shape):
    host, author, fan, replier = make_user(), make_user(), make_user(), make_user()
    mentioned = make_user(f"mentioned_dc_{shape}")
    post = forum.create_post(author=host, content="host")
    comment = forum.create_comment(post=post, author=author, content=f"@mentioned_dc_{shape}")
    forum.set_comment_like(user=fan, comment_id=comment.pk, liked=True)
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    kept_host = ids(only(host, Kind.POST_LIKED))
    kept_author = set()
    if shape == "with_replies":
        reply = forum.create_comment(post=post, author=replier, content="r", parent_id=comment.pk)
        kept_host |= ids(only(host, Kind.COMMENT_ON_POST, target_id=str(reply.pk)))
        kept_author = ids(only(author, Kind.REPLY_TO_COMMENT))
    assert len(listed(mentioned)) == 1 and notifications_of(author, kind=Kind.COMMENT_LIKED)

    assert client_for(author).delete(f"/api/v1/forum/comments/{comment.pk}/").status_code == 204

    # The placeholder of a comment with replies is withdrawn from just the same.
    assert ForumComment.objects.filter(pk=comment.pk).exists() == (shape == "with_replies")
    assert listed(host) == kept_host and unread(host) == len(kept_host)
    assert listed(author) == kept_author and unread(author) == len(kept_author)
    assert listed(mentioned) == set() and unread(mentioned) == 0


# --- blocks ----------------------------------------------------------------------


@pytest.mark.parametrize("who_blocks", ["a", "b"])
def test_a_block_withdraws_what_each_was_told_about_the_other(who_blocks):
    a, b, c = make_user(), make_user("b_blk"), make_user()
    a_post = forum.create_post(author=a, content="a's")
    b_post = forum.create_post(author=b, content="b's")
    c_post = forum.create_post(author=c, content="c's")
    forum.set_post_like(user=b, post_id=a_post.pk, liked=True)  # a <- b
    users_services.follow(follower=b, followee=a)  # a <- b
    forum.create_comment(post=b_post, author=a, content="from a")  # b <- a
    forum.create_post(author=a, content="hi @b_blk")  # b <- a
    # Others' news of either stays, and so does what either told a third user.
    forum.create_comment(post=a_post, author=c, content="from c")
    forum.set_post_like(user=c, post_id=b_post.pk, liked=True)
    forum.set_post_like(user=a, post_id=c_post.pk, liked=True)
    forum.set_post_like(user=b, post_id=c_post.pk, liked=True)
    kept_a = ids(only(a, Kind.COMMENT_ON_POST))
    kept_b = ids(only(b, Kind.POST_LIKED))
    kept_c = listed(c)
    assert len(listed(a)) == 3 and len(listed(b)) == 3 and len(kept_c) == 1

    blocker, blocked = (a, b) if who_blocks == "a" else (b, a)
    assert client_for(blocker).post(f"/api/v1/users/{blocked.pk}/block/").status_code in (200, 201)

    assert listed(a) == kept_a and unread(a) == 1
    assert listed(b) == kept_b and unread(b) == 1
    assert listed(c) == kept_c and unread(c) == 1

    # Not re-created when the block is lifted.
    users_services.unblock_user(blocker=blocker, blocked=blocked)
    assert listed(a) == kept_a and listed(b) == kept_b


def _actors(row) -> tuple:
    """(latest actor, count, recent actors) of a row, ids as strings."""
    row.refresh_from_db()
    return (str(row.actor_id) if row.actor_id else None, row.actor_count, row.recent_actor_ids)


def test_a_block_takes_only_the_blocked_users_part_of_folded_likes():
    author, blocked, friend, pal = make_user(), make_user(), make_user(), make_user("pal_fl")
    latest, earlier, alone, comment_post = (
        forum.create_post(author=author, content=name)
        for name in ("latest", "earlier", "alone", "comments")
    )
    comment = forum.create_comment(post=comment_post, author=author, content="mine")
    theirs = forum.create_post(author=blocked, content="the blocked user's")
    # `latest`: the blocked user liked last, the row shows them.
    for fan in (friend, pal, blocked):
        forum.set_post_like(user=fan, post_id=latest.pk, liked=True)
    # `earlier`: the blocked user is one of the earlier actors; this row is read.
    for fan in (blocked, friend):
        forum.set_post_like(user=fan, post_id=earlier.pk, liked=True)
    # `alone`: only the blocked user liked it.
    forum.set_post_like(user=blocked, post_id=alone.pk, liked=True)
    for fan in (pal, blocked):
        forum.set_comment_like(user=fan, comment_id=comment.pk, liked=True)
    # The other way: the author is one of the likers of the blocked user's post.
    for fan in (author, friend):
        forum.set_post_like(user=fan, post_id=theirs.pk, liked=True)
    rows = {
        name: only(author, kind, target_id=str(target.pk))
        for name, kind, target in (
            ("latest", Kind.POST_LIKED, latest),
            ("earlier", Kind.POST_LIKED, earlier),
            ("alone", Kind.POST_LIKED, alone),
            ("comment", Kind.COMMENT_LIKED, comment),
        )
    }
    client_for(author).post(f"/api/v1/notifications/{rows['earlier'].pk}/read/")
    folded_to_blocked = only(blocked, Kind.POST_LIKED)
    assert unread(author) == 3 and unread(blocked) == 1
    # A third user's row with both of them in it is not theirs to change.
    friends_post = forum.create_post(author=friend, content="the friend's")
    for fan in (blocked, author):
        forum.set_post_like(user=fan, post_id=friends_post.pk, liked=True)
    bystander = only(friend, Kind.POST_LIKED)
    before = _actors(bystander)

    users_services.block_user(blocker=author, blocked=blocked)

    f, p = str(friend.pk), str(pal.pk)
    # The next remembered actor takes over; the row keeps its id and its place.
    assert _actors(rows["latest"]) == (p, 2, [p, f])
    assert _actors(rows["earlier"]) == (f, 1, [f])
    assert _actors(rows["comment"]) == (p, 1, [p])
    assert not Notification.objects.filter(pk=rows["alone"].pk).exists()
    assert _actors(folded_to_blocked) == (f, 1, [f])
    assert listed(author) == ids(rows["latest"], rows["earlier"], rows["comment"])
    assert unread(author) == 2 and unread(blocked) == 1
    assert _actors(bystander) == before and before[1] == 2
    titles = {
        n["id"]: n["title"]
        for n in client_for(author).get("/api/v1/notifications/").json()["notifications"]
    }
    assert titles[str(rows["latest"].pk)] == "pal_fl and 1 other liked your post"
    assert Notification.objects.get(pk=rows["earlier"].pk).read_at is not None


# --- news delivered after its content went -------------------------------------------


def _hide_or_delete(how, *, post, comment, moderator):
    if how == "hide_post":
        moderation.hide_post(post=post, moderator=moderator)
    elif how == "delete_post":
        forum.delete_post(post=post, actor=post.user)
    elif how == "hide_comment":
        moderation.hide_comment(comment=comment, moderator=moderator)
    else:
        forum.delete_comment(comment=comment, actor=comment.user)


@pytest.mark.parametrize(
    "how", ["hide_post", "delete_post", "hide_comment", "delete_comment", "delete_placeholder"]
)
def test_likes_delivered_after_their_content_went_tell_nobody(held, how):
    host, commenter, fan, moderator = make_user(), make_user(), make_user(), make_moderator()
    post = forum.create_post(author=host, content="host")
    comment = forum.create_comment(post=post, author=commenter, content="c")
    if how == "delete_placeholder":
        forum.create_comment(post=post, author=host, content="re", parent_id=comment.pk)
    held.run()
    Notification.objects.all().delete()
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    forum.set_comment_like(user=fan, comment_id=comment.pk, liked=True)
    assert len(held) == 2 and Notification.objects.count() == 0

    _hide_or_delete(how, post=post, comment=comment, moderator=moderator)
    held.run()  # the worker gets to them only now

    post_went = how in ("hide_post", "delete_post")
    # The post's own news stands when only the comment went.
    assert len(notifications_of(host, kind=Kind.POST_LIKED)) == (0 if post_went else 1)
    assert notifications_of(commenter) == []
    assert unread(commenter) == 0
    # Nothing was told, so nothing is deduped: told if it happens again when shown.
    assert not NotificationDedupe.objects.filter(recipient=commenter).exists()


def test_a_comment_hidden_before_its_news_is_delivered_tells_nobody(held):
    host, commenter, moderator = make_user(), make_user(), make_moderator()
    mentioned = make_user("mentioned_late")
    post = forum.create_post(author=host, content="host")
    other = forum.create_post(author=host, content="other")
    comment = forum.create_comment(post=post, author=commenter, content="@mentioned_late hi")
    forum.create_comment(post=other, author=commenter, content="stays")
    assert len(held) == 3

    moderation.hide_comment(comment=comment, moderator=moderator)
    held.run()

    [told] = notifications_of(host)
    assert (told.kind, told.target_id) != (Kind.COMMENT_ON_POST, str(comment.pk))
    assert notifications_of(mentioned) == []


def test_news_restored_before_delivery_is_told(held):
    author, fan, moderator = make_user(), make_user(), make_moderator()
    post = forum.create_post(author=author, content="back soon")
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    moderation.hide_post(post=post, moderator=moderator)
    moderation.restore_post(post=post, moderator=moderator)

    held.run()

    assert [n.actor_id for n in notifications_of(author)] == [fan.pk]


def test_the_delivery_check_is_one_query_and_only_for_content(held):
    author, fan = make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    users_services.follow(follower=fan, followee=author)
    like, follow = held

    def forum_queries(job):
        with CaptureQueriesContext(connection) as captured:
            assert delivery.deliver(**job) is not None
        return [q["sql"] for q in captured.captured_queries if '"forum_' in q["sql"]]

    [check] = forum_queries(like)
    assert check.endswith("FOR SHARE") or connection.vendor != "postgresql"
    assert forum_queries(follow) == []


# --- the same race, for real: a delivery and a hide on two connections ----------------


def _like_scene(held, target):
    author, fan, moderator = make_user(), make_user(), make_moderator()
    post = forum.create_post(author=author, content="hello")
    comment = forum.create_comment(post=post, author=author, content="mine")
    if target == "post":
        forum.set_post_like(user=fan, post_id=post.pk, liked=True)
    else:
        forum.set_comment_like(user=fan, comment_id=comment.pk, liked=True)
    [job] = held
    return author, post, comment, moderator, job


@pytest.mark.requires_postgres
@pytest.mark.parametrize("target, how", [("post", "hide_post"), ("comment", "hide_comment")])
def test_a_delivery_waits_for_a_hide_in_flight_and_then_tells_nothing(held, target, how):
    author, post, comment, moderator, job = _like_scene(held, target)

    # Hidden and withdrawn, not committed: a delivery now must not read the old row,
    # so it waits for the hide's lock.
    _, outcome = held_up_by(
        lambda: _hide_or_delete(how, post=post, comment=comment, moderator=moderator),
        lambda: delivery.deliver(**job),
    )

    assert outcome == {"value": None}
    assert notifications_of(author) == []


@pytest.mark.requires_postgres
@pytest.mark.parametrize(
    "target, how", [("post", "hide_post"), ("comment", "hide_post"), ("post", "delete_post")]
)
def test_a_hide_waits_for_a_delivery_in_flight_and_then_withdraws_it(held, target, how):
    author, post, comment, moderator, job = _like_scene(held, target)

    # Stored, not committed: the hide must not withdraw before it can see the row,
    # so it waits for the delivery's hold on the content.
    stored, outcome = held_up_by(
        lambda: delivery.deliver(**job),
        lambda: _hide_or_delete(how, post=post, comment=comment, moderator=moderator),
    )

    assert stored is not None and outcome == {"value": None}
    assert notifications_of(author) == [] and unread(author) == 0


# --- cost -------------------------------------------------------------------------


def _notification_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if NOTIFICATION_TABLE in q["sql"]]


def _actor_queries(captured) -> list[str]:
    """Queries of the actors' table alone (the lock reads it too, in a subquery)."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if ACTOR_TABLE in q["sql"] and NOTIFICATION_TABLE not in q["sql"]
    ]


def _post_with_news(recipients: int):
    """A post with a comment, and `recipients` users told about each (rows only)."""
    author = make_user()
    post = forum.create_post(author=author, content="busy")
    comment = ForumComment.objects.create(post=post, user=author, content="c")
    people = [make_user() for _ in range(recipients)]
    Notification.objects.bulk_create(
        Notification(recipient=person, actor=author, kind=kind, target_type=t, target_id=str(pk))
        for person in people
        for kind, t, pk in (
            (Kind.MENTION, "forum.post", post.pk),
            (Kind.MENTION, "forum.comment", comment.pk),
        )
    )
    return post, people


def test_withdrawing_costs_the_same_queries_for_one_row_or_many():
    moderator = make_moderator()
    # Their permissions, read once (as once per request) before the first hide.
    assert moderator.has_perm("forum.change_forumpost")
    counts = []
    for recipients in (1, 8):
        post, people = _post_with_news(recipients)
        with CaptureQueriesContext(connection) as captured:
            moderation.hide_post(post=post, moderator=moderator)
        # Lock and read, one DELETE, one grouped unread count.
        assert len(_notification_queries(captured)) == 3, _notification_queries(captured)
        assert Notification.objects.filter(recipient__in=people).count() == 0
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_a_block_withdraws_in_three_queries():
    a, b = make_user(), make_user()
    Notification.objects.bulk_create(
        [Notification(recipient=a, actor=b, kind=Kind.CHAT_MESSAGE) for _ in range(5)]
        + [Notification(recipient=b, actor=a, kind=Kind.CHAT_MESSAGE) for _ in range(5)]
    )

    with CaptureQueriesContext(connection) as captured:
        users_services.block_user(blocker=a, blocked=b)

    assert len(_notification_queries(captured)) == 3, _notification_queries(captured)
    assert Notification.objects.count() == 0
    with CaptureQueriesContext(connection) as captured:
        assert withdraw_between(user_id=a.pk, other_id=b.pk) == 0
    assert len(_notification_queries(captured)) == 1


def _folded_news(a, b, friend, pal, *, copies: int) -> None:
    """Rows between a and b as folded likes leave them, `copies` of each shape."""
    for _ in range(copies):
        folded_row(a, b, friend)  # b latest: friend takes over
        folded_row(a, friend, b)  # b earlier
        folded_row(a, friend, pal, b)  # b no longer shown
        folded_row(a, b)  # b alone: goes
        folded_row(b, a, friend, pal)  # the other way


def test_a_block_takes_its_part_of_folded_rows_in_the_same_queries_for_one_row_or_many():
    counts = []
    for copies in (1, 8):
        a, b, friend, pal = make_user(), make_user(), make_user(), make_user()
        _folded_news(a, b, friend, pal, copies=copies)

        with CaptureQueriesContext(connection) as captured:
            users_services.block_user(blocker=a, blocked=b)

        # Lock and read, one DELETE, one UPDATE of every changed row, one grouped
        # unread count; plus, on their actors' table, one DELETE of the blocked
        # user's part, one read of the actors the changed rows now show (profiles
        # joined) and one DELETE of the actors of the rows gone.
        assert len(_notification_queries(captured)) == 4, _notification_queries(captured)
        assert len(_actor_queries(captured)) == 3, _actor_queries(captured)
        assert Notification.objects.filter(recipient=a).count() == 3 * copies
        assert not Notification.objects.filter(recipient=a, actor=b).exists()
        assert not NotificationActor.objects.filter(notification__recipient=a, actor=b).exists()
        left = Notification.objects.filter(recipient__in=[a, b])
        counted = sorted(left.values_list("actor_count", flat=True))
        assert counted == [1] * 2 * copies + [2] * 2 * copies
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_nothing_to_withdraw_is_one_query():
    with CaptureQueriesContext(connection) as captured:
        assert withdraw_notifications(targets=[Target("forum.post", "nothing")]) == 0
        assert withdraw_notifications(targets=[]) == 0
    # BEGIN and COMMIT aside: called outside a transaction, it makes its own.
    assert len(_notification_queries(captured)) == 1


# --- realtime -----------------------------------------------------------------------


@database_sync_to_async
def _hide_scene():
    author, fan, commenter, bystander = make_user(), make_user(), make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    return author, fan, commenter, bystander, make_moderator(), post


async def test_sockets_drop_what_a_hide_withdraws_with_the_exact_count(open_socket):
    author, fan, commenter, bystander, moderator, post = await _hide_scene()
    phone = await open_socket(access_token(author))
    onlooker = await open_socket(access_token(bystander))

    await database_sync_to_async(users_services.follow)(follower=fan, followee=author)
    await database_sync_to_async(forum.set_post_like)(user=fan, post_id=post.pk, liked=True)
    await database_sync_to_async(forum.create_comment)(post=post, author=commenter, content="c")
    news = [await phone.receive() for _ in range(3)]
    assert [e["type"] for e in news] == ["notification.new"] * 3
    follow_id, like_id, comment_id = (e["data"]["notification"]["id"] for e in news)

    await database_sync_to_async(moderation.hide_post)(post=post, moderator=moderator)

    gone = [await phone.receive(), await phone.receive()]
    assert {e["type"] for e in gone} == {"notification.deleted"}
    assert all(e["id"] for e in gone)  # logged: a device resuming later hears it too
    assert sorted(e["data"]["id"] for e in gone) == sorted([like_id, comment_id])
    assert {e["data"]["unread_count"] for e in gone} == {1}
    assert await phone.comm.receive_nothing(timeout=0.3)
    assert await onlooker.comm.receive_nothing(timeout=0.3)
    assert await database_sync_to_async(listed)(author) == {follow_id}


@database_sync_to_async
def _block_scene():
    a, b = make_user(), make_user()
    return (
        a,
        b,
        forum.create_post(author=a, content="a's"),
        forum.create_post(author=b, content="b's"),
    )


async def test_a_block_retells_a_folded_row_and_drops_the_blocked_users_own(open_socket):
    a, b, a_post, _ = await _block_scene()
    friend = await database_sync_to_async(make_user)()
    other_post = await database_sync_to_async(forum.create_post)(author=a, content="2")
    socket = await open_socket(access_token(a))
    like = database_sync_to_async(forum.set_post_like)
    await like(user=friend, post_id=a_post.pk, liked=True)
    await like(user=b, post_id=a_post.pk, liked=True)  # folds: the row shows b
    await like(user=b, post_id=other_post.pk, liked=True)
    news = [(await socket.receive())["data"]["notification"] for _ in range(3)]
    folded_id, alone_id = news[1]["id"], news[2]["id"]
    assert news[0]["id"] == folded_id and news[1]["actor_count"] == 2

    await database_sync_to_async(users_services.block_user)(blocker=a, blocked=b)

    gone, retold = await socket.receive(), await socket.receive()
    assert (gone["type"], gone["data"]) == (
        "notification.deleted",
        {"id": alone_id, "unread_count": 1},
    )
    assert retold["type"] == "notification.new" and retold["data"]["unread_count"] == 1
    row = retold["data"]["notification"]
    assert (row["id"], row["actor"]["id"], row["actor_count"]) == (folded_id, str(friend.pk), 1)
    assert (row["recent_actor_ids"], row["is_read"]) == ([str(friend.pk)], False)
    assert row["title"] == f"{friend.username} liked your post"
    assert await socket.comm.receive_nothing(timeout=0.3)


async def test_both_sides_of_a_block_hear_their_withdrawals(open_socket):
    a, b, a_post, b_post = await _block_scene()
    a_socket = await open_socket(access_token(a))
    b_socket = await open_socket(access_token(b))

    await database_sync_to_async(forum.set_post_like)(user=b, post_id=a_post.pk, liked=True)
    await database_sync_to_async(forum.set_post_like)(user=a, post_id=b_post.pk, liked=True)
    to_a = (await a_socket.receive())["data"]["notification"]["id"]
    to_b = (await b_socket.receive())["data"]["notification"]["id"]

    await database_sync_to_async(users_services.block_user)(blocker=a, blocked=b)

    for socket, notification_id in ((a_socket, to_a), (b_socket, to_b)):
        event = await socket.receive()
        assert (event["type"], event["data"]) == (
            "notification.deleted",
            {"id": notification_id, "unread_count": 0},
        )
        assert await socket.comm.receive_nothing(timeout=0.3)
