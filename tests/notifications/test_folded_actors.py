"""A row likes fold into knows every actor it counts (NotificationActor), not only
the few it shows: a block takes out exactly the blocked user's part wherever they
are among them, and `actor_count` is the number of people, each counted once."""

import importlib

import pytest
from channels.db import database_sync_to_async
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forum import moderation
from forum import services as forum
from notifications.models import Kind, Notification, NotificationActor, NotificationDedupe
from notifications.services import delivery, withdraw_between
from notifications.services.delivery import dedupe_retention, prune_dedupe
from tests.clients import client_for
from tests.concurrency import run_in_parallel
from tests.factories import make_user
from tests.sockets import access_token
from users import services as users_services
from users.roles import grant_moderator

from .conftest import folded_row, notifications_of

pytestmark = pytest.mark.django_db(transaction=True)

backfill = importlib.import_module("notifications.migrations.0004_backfill_notification_actors")


def actors_of(row) -> set:
    return set(NotificationActor.objects.filter(notification=row).values_list("actor", flat=True))


def shown(row) -> tuple:
    """(latest actor, count, recent actors) of a row as stored, ids as strings."""
    row.refresh_from_db()
    return (str(row.actor_id) if row.actor_id else None, row.actor_count, row.recent_actor_ids)


def titles(user) -> dict[str, str]:
    resp = client_for(user).get("/api/v1/notifications/")
    assert resp.status_code == 200
    return {n["id"]: n["title"] for n in resp.json()["notifications"]}


def unread(user) -> int:
    return client_for(user).get("/api/v1/notifications/unread-count/").json()["unread_count"]


def like(fan, post):
    forum.set_post_like(user=fan, post_id=post.pk, liked=True)


def fell_off_scene():
    """Bob liked Alice's post first, then four others: Bob is counted, not shown."""
    alice, bob = make_user("alice_fa"), make_user("bob_fa")
    others = [make_user(f"other{i}_fa") for i in range(4)]
    post = forum.create_post(author=alice, content="popular")
    for fan in (bob, *others):
        like(fan, post)
    [row] = notifications_of(alice)
    assert row.actor_count == 5 and str(bob.pk) not in row.recent_actor_ids
    return alice, bob, others, row


# --- a block, wherever the blocked user is among the actors -------------------------


@pytest.mark.parametrize("who_blocks", ["recipient", "actor"])
def test_a_block_takes_out_an_actor_the_row_no_longer_shows(who_blocks):
    alice, bob, others, row = fell_off_scene()
    blocker, blocked = (alice, bob) if who_blocks == "recipient" else (bob, alice)

    users_services.block_user(blocker=blocker, blocked=blocked)

    latest = [str(u.pk) for u in reversed(others)]
    assert shown(row) == (latest[0], 4, latest[:3])
    assert actors_of(row) == {u.pk for u in others}
    assert titles(alice) == {str(row.pk): "other3_fa and 3 others liked your post"}
    assert unread(alice) == 1


def test_the_row_shows_its_latest_remaining_actors_when_a_shown_one_leaves():
    alice, bob, others, row = fell_off_scene()

    users_services.block_user(blocker=alice, blocked=others[-1])

    # The one who had dropped off the list is shown again: Bob liked before the rest.
    o0, o1, o2 = (str(u.pk) for u in others[:3])
    assert shown(row) == (o2, 4, [o2, o1, o0])
    users_services.block_user(blocker=alice, blocked=others[1])
    assert shown(row) == (o2, 3, [o2, o0, str(bob.pk)])
    assert titles(alice) == {str(row.pk): "other2_fa and 2 others liked your post"}


def test_the_last_actor_leaving_takes_the_row():
    alice, bob, friend = make_user(), make_user(), make_user()
    row = folded_row(alice, bob, friend)
    users_services.block_user(blocker=alice, blocked=friend)
    assert shown(row) == (str(bob.pk), 1, [str(bob.pk)])

    users_services.block_user(blocker=alice, blocked=bob)

    assert not Notification.objects.filter(pk=row.pk).exists()
    assert not NotificationActor.objects.exists()
    assert unread(alice) == 0


async def test_the_socket_hears_the_row_again_without_the_blocked_user(open_socket):
    alice, bob, others, row = await database_sync_to_async(fell_off_scene)()
    socket = await open_socket(access_token(alice))

    await database_sync_to_async(users_services.block_user)(blocker=alice, blocked=bob)

    event = await socket.receive()
    assert event["type"] == "notification.new" and event["data"]["unread_count"] == 1
    told = event["data"]["notification"]
    assert (told["id"], told["actor"]["id"], told["actor_count"]) == (
        str(row.pk),
        str(others[-1].pk),
        4,
    )
    assert told["recent_actor_ids"] == [str(u.pk) for u in reversed(others)][:3]
    assert told["title"] == "other3_fa and 3 others liked your post"
    assert await socket.comm.receive_nothing(timeout=0.3)


# --- counting people, not likes -------------------------------------------------------


@pytest.mark.requires_postgres
def test_parallel_likes_fold_into_one_row_that_lists_every_actor():
    author = make_user()
    post = forum.create_post(author=author, content="popular")
    fans = [make_user() for _ in range(12)]

    run_in_parallel([lambda fan=fan: like(fan, post) for fan in fans])

    [row] = notifications_of(author)
    assert row.actor_count == 12 and actors_of(row) == {fan.pk for fan in fans}
    latest = NotificationActor.objects.filter(notification=row).order_by("-created_at", "-id")
    assert row.recent_actor_ids == [str(pk) for pk in latest.values_list("actor", flat=True)[:3]]
    assert row.recent_actor_ids[0] == str(row.actor_id)
    quiet = next(fan for fan in fans if str(fan.pk) not in row.recent_actor_ids)

    users_services.block_user(blocker=author, blocked=quiet)

    row.refresh_from_db()
    assert row.actor_count == 11 and actors_of(row) == {fan.pk for fan in fans} - {quiet.pk}


def test_liking_again_after_the_dedupe_record_went_counts_the_actor_once():
    author, bob, carol = make_user(), make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    like(bob, post)
    like(carol, post)
    # The row stays open while likes keep coming; Bob's dedupe record ages out.
    NotificationDedupe.objects.update(created_at=timezone.now() - dedupe_retention() * 2)
    assert prune_dedupe() == 2

    forum.set_post_like(user=bob, post_id=post.pk, liked=False)
    like(bob, post)

    [row] = notifications_of(author)
    b, c = str(bob.pk), str(carol.pk)
    assert shown(row) == (b, 2, [b, c])
    assert actors_of(row) == {bob.pk, carol.pk}
    # He is the latest among the actors too.
    users_services.block_user(blocker=author, blocked=carol)
    assert shown(row) == (b, 1, [b])


def test_like_unlike_like_counts_once():
    author, bob, carol = make_user(), make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    like(bob, post)
    for liked in (False, True, False, True):
        forum.set_post_like(user=bob, post_id=post.pk, liked=liked)
    like(carol, post)

    [row] = notifications_of(author)
    assert row.actor_count == 2 and actors_of(row) == {bob.pk, carol.pk}


def test_each_like_delivery_writes_its_actor_once_whatever_the_row_holds(held):
    author, first, second, late = make_user(), make_user(), make_user(), make_user()
    crowd = [make_user() for _ in range(20)]
    post, busy = (forum.create_post(author=author, content=name) for name in ("post", "busy"))
    like(first, post)
    like(second, post)
    forum.create_comment(post=post, author=first, content="hi")
    for fan in (*crowd, late):
        like(fan, busy)
    opening, folding, commenting, *crowding, folding_late = held
    held.clear()

    def deliver(job) -> tuple[int, list[str]]:
        """How many queries, and the statements writing actors."""
        with CaptureQueriesContext(connection) as captured:
            assert delivery.deliver(**job) is not None
        sql = [q["sql"] for q in captured.captured_queries]
        return len(sql), [q.split()[0] for q in sql if '"notifications_notificationactor" (' in q]

    assert deliver(opening)[1] == ["INSERT"]
    folded = deliver(folding)
    assert folded[1] == ["INSERT"]
    assert deliver(commenting)[1] == []  # a comment does not fold: its actor is the row's
    for job in crowding:
        delivery.deliver(**job)
    # Folding into a row of twenty actors costs what folding into a row of one does.
    assert deliver(folding_late) == folded
    assert notifications_of(author, target_id=str(busy.pk))[0].actor_count == 21


# --- what goes with what ------------------------------------------------------------


def test_a_rows_actors_go_with_it():
    author, fan, moderator = make_user(), make_user(), make_user()
    grant_moderator(moderator)
    hidden, kept = (forum.create_post(author=author, content=name) for name in ("a", "b"))
    like(fan, hidden)
    like(fan, kept)
    assert NotificationActor.objects.count() == 2

    moderation.hide_post(post=hidden, moderator=moderator)
    assert NotificationActor.objects.count() == 1
    [row] = notifications_of(author)
    assert client_for(author).delete(f"/api/v1/notifications/{row.pk}/").status_code == 204

    assert not NotificationActor.objects.exists()


def test_a_deleted_account_leaves_the_rows_it_was_counted_in_counting_it():
    """Decided: deleting an account takes its NotificationActor rows (CASCADE) and
    changes no notification; each keeps counting it, as its like stays counted on
    the post (`like_count`). A block later still takes out exactly one person."""
    alice, bob, others, row = fell_off_scene()
    shown_before = [str(u.pk) for u in reversed(others)][:3]

    bob.delete()
    others[-1].delete()  # the latest, shown

    assert actors_of(row) == {u.pk for u in others[:3]}
    assert shown(row) == (None, 5, shown_before)
    assert titles(alice) == {str(row.pk): "Someone and 4 others liked your post"}

    users_services.block_user(blocker=alice, blocked=others[0])

    o1, o2 = str(others[1].pk), str(others[2].pk)
    assert shown(row) == (o2, 4, [o2, o1])
    assert titles(alice) == {str(row.pk): "other2_fa and 3 others liked your post"}


# --- rows folded before NotificationActor existed ----------------------------------------


def legacy_row(recipient, actor, recent, *, count, kind=Kind.POST_LIKED, **fields):
    """A row as folded before NotificationActor: the latest actor and the last few."""
    return Notification.objects.create(
        recipient=recipient,
        actor=actor,
        kind=kind,
        target_type="forum.post",
        target_id="x",
        actor_count=count,
        recent_actor_ids=[str(pk) for pk in recent],
        **fields,
    )


def test_the_backfill_writes_what_each_row_knew_of_its_actors(monkeypatch):
    alice, bob, carol, dave = make_user(), make_user(), make_user(), make_user()
    deleted = make_user()
    gone_id = deleted.pk
    deleted.delete()
    folded = legacy_row(alice, bob, [bob.pk, gone_id, carol.pk], count=6)
    read = legacy_row(
        alice, dave, [dave.pk], count=1, kind=Kind.COMMENT_LIKED, read_at=timezone.now()
    )
    someone = legacy_row(alice, None, [gone_id, carol.pk], count=3)
    comment = Notification.objects.create(recipient=alice, actor=bob, kind=Kind.COMMENT_ON_POST)
    monkeypatch.setattr(backfill, "BATCH_SIZE", 2)  # more rows than a batch

    backfill.backfill_actors(apps, None)
    backfill.backfill_actors(apps, None)  # again: nothing twice

    assert actors_of(folded) == {bob.pk, carol.pk}
    assert actors_of(read) == {dave.pk}
    assert actors_of(someone) == {carol.pk}
    assert actors_of(comment) == set()  # one actor, the row's own
    assert NotificationActor.objects.count() == 4
    # In the order the row remembered them, latest first, none after the row's time.
    order = NotificationActor.objects.filter(notification=folded).order_by("-created_at")
    assert list(order.values_list("actor", flat=True)) == [bob.pk, carol.pk]
    assert order[0].created_at == folded.created_at


def test_a_block_after_the_backfill_takes_out_known_actors_only():
    """Older actors of a row folded before NotificationActor cannot be recovered:
    they stay counted, and a block cannot take them out (migration 0004)."""
    alice, bob, carol, forgotten = make_user(), make_user(), make_user(), make_user()
    row = legacy_row(alice, bob, [bob.pk, carol.pk], count=5)  # forgotten: one of 3 more
    alone = legacy_row(alice, bob, [bob.pk], count=4, kind=Kind.COMMENT_LIKED)
    backfill.backfill_actors(apps, None)

    assert withdraw_between(user_id=alice.pk, other_id=forgotten.pk) == 0
    assert withdraw_between(user_id=alice.pk, other_id=bob.pk) == 2

    assert shown(row) == (str(carol.pk), 4, [str(carol.pk)])
    assert shown(alone) == (None, 3, [])
    assert titles(alice)[str(alone.pk)] == "Someone and 2 others liked your comment"
