"""A post's stream follows the post's visibility at delivery time, over the real socket.

When what a subscriber may see changes (privacy, hiding, deletion, unfollow, block,
suspension) their subscription ends with a `stream.ended` frame and nothing more of
the stream reaches them; subscribing again is refused. "Nothing more" is proven
without sleeping: after the event, a marker is published to the subscriber's own
group; had the event been sent to them it would have been queued before the marker.
"""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from forum import moderation, services
from forum.models import ForumPost
from realtime.publish import publish_to_stream, publish_to_users, recheck_user_streams
from tests.sockets import access_token
from users import services as user_services
from users.models import Follow
from users.roles import grant_moderator

from .conftest import client_for, make_user

pytestmark = [pytest.mark.django_db(transaction=True)]

MARKER = "test.marker"


@database_sync_to_async
def setup_users():
    author, follower, stranger = make_user(), make_user(), make_user()
    user_services.follow(follower=follower, followee=author)
    return author, follower, stranger


async def subscribed(open_socket, user, stream):
    socket = await open_socket(access_token(user))
    reply = await socket.request("subscribe", {"stream": stream})
    assert reply["type"] == "ack", reply
    return socket


async def assert_nothing_before_marker(socket, user):
    """The next frame is a marker sent now: nothing was queued for the socket before it."""
    await database_sync_to_async(publish_to_users)([user.pk], MARKER, {}, persist=False)
    frame = await socket.receive()
    assert frame["type"] == MARKER, frame


def ended(stream, reason="not_visible"):
    return {"stream": stream, "reason": reason}


async def test_follower_loses_a_followers_only_post_made_private(open_socket):
    author, follower, _ = await setup_users()
    post = await database_sync_to_async(services.create_post)(
        author=author, content="for followers", privacy="followers"
    )
    stream = f"post:{post.pk}"
    watcher = await subscribed(open_socket, follower, stream)
    own = await subscribed(open_socket, author, stream)

    response = await database_sync_to_async(
        lambda: client_for(author).patch(
            f"/api/forum/posts/{post.pk}/", {"privacy": "private"}, format="json"
        )
    )()
    assert response.status_code == 200, response.content
    frame = await watcher.receive()
    assert frame["type"] == "stream.ended" and frame["id"] is None
    assert frame["stream"] == stream and frame["data"] == ended(stream)
    detail = await database_sync_to_async(
        lambda: client_for(follower).get(f"/api/forum/posts/{post.pk}/")
    )()
    assert detail.status_code == 404

    await database_sync_to_async(services.create_comment)(
        post=post, author=author, content="now private"
    )
    # The author still follows their own post; the follower hears nothing.
    assert (await own.receive())["type"] == "forum.comment.new"
    await assert_nothing_before_marker(watcher, follower)
    reply = await watcher.request("subscribe", {"stream": stream})
    assert reply["type"] == "error" and reply["data"]["errors"][0]["code"] == "unknown_stream"


async def test_a_private_post_made_followers_only_keeps_its_followers(open_socket):
    author, follower, stranger = await setup_users()
    post = await database_sync_to_async(services.create_post)(
        author=author, content="x", privacy="public"
    )
    stream = f"post:{post.pk}"
    watcher = await subscribed(open_socket, follower, stream)
    outsider = await subscribed(open_socket, stranger, stream)
    fetched = await database_sync_to_async(ForumPost.objects.get)(pk=post.pk)
    await database_sync_to_async(services.update_post)(
        post=fetched, editor=author, privacy="followers", fields={"privacy"}
    )
    assert (await outsider.receive())["data"] == ended(stream)
    await database_sync_to_async(services.create_comment)(post=post, author=author, content="c")
    assert (await watcher.receive())["type"] == "forum.comment.new"
    await assert_nothing_before_marker(outsider, stranger)


async def test_a_post_hidden_by_a_moderator_ends_for_all_but_its_author_and_moderators(
    open_socket,
):
    author, follower, _ = await setup_users()
    moderator = await database_sync_to_async(make_user)()
    await database_sync_to_async(grant_moderator)(moderator)
    post = await database_sync_to_async(services.create_post)(author=author, content="x")
    stream = f"post:{post.pk}"
    watcher = await subscribed(open_socket, follower, stream)
    own = await subscribed(open_socket, author, stream)
    moderating = await subscribed(open_socket, moderator, stream)

    fetched = await database_sync_to_async(ForumPost.objects.get)(pk=post.pk)
    await database_sync_to_async(moderation.hide_post)(post=fetched, moderator=moderator)
    assert (await watcher.receive())["data"] == ended(stream)
    await database_sync_to_async(services.set_post_like)(user=author, post_id=post.pk, liked=True)
    assert (await own.receive())["type"] == "forum.post.liked"
    assert (await moderating.receive())["type"] == "forum.post.liked"
    await assert_nothing_before_marker(watcher, follower)


async def test_a_deleted_post_ends_its_stream_for_everyone(open_socket):
    author, follower, _ = await setup_users()
    post = await database_sync_to_async(services.create_post)(author=author, content="x")
    stream = f"post:{post.pk}"
    watcher = await subscribed(open_socket, follower, stream)
    own = await subscribed(open_socket, author, stream)
    fetched = await database_sync_to_async(ForumPost.objects.get)(pk=post.pk)
    await database_sync_to_async(services.delete_post)(post=fetched, actor=author)
    for socket in (watcher, own):
        assert (await socket.receive())["data"] == ended(stream, "deleted")
    await database_sync_to_async(publish_to_stream)(stream, "test.late", {"late": True})
    await assert_nothing_before_marker(watcher, follower)
    await assert_nothing_before_marker(own, author)


async def test_unfollowing_ends_followers_only_streams_only(open_socket):
    author, follower, _ = await setup_users()
    create = database_sync_to_async(services.create_post)
    closed = await create(author=author, content="f", privacy="followers")
    public = await create(author=author, content="p")
    socket = await subscribed(open_socket, follower, f"post:{closed.pk}")
    assert (await socket.request("subscribe", {"stream": f"post:{public.pk}"}))["type"] == "ack"

    await database_sync_to_async(user_services.unfollow)(follower=follower, followee=author)
    assert (await socket.receive())["data"] == ended(f"post:{closed.pk}")
    like = database_sync_to_async(services.set_post_like)
    await like(user=author, post_id=closed.pk, liked=True)
    await like(user=author, post_id=public.pk, liked=True)
    event = await socket.receive()
    assert event["type"] == "forum.post.liked" and event["stream"] == f"post:{public.pk}"
    await assert_nothing_before_marker(socket, follower)


async def test_a_block_ends_the_post_stream_and_silences_the_forum_stream(open_socket):
    author, follower, _ = await setup_users()
    post = await database_sync_to_async(services.create_post)(author=author, content="x")
    socket = await subscribed(open_socket, follower, f"post:{post.pk}")
    assert (await socket.request("subscribe", {"stream": "forum"}))["type"] == "ack"

    await database_sync_to_async(user_services.block_user)(blocker=author, blocked=follower)
    assert (await socket.receive())["data"] == ended(f"post:{post.pk}")
    # No new subscribe in between: the socket learnt of the block by itself.
    await database_sync_to_async(services.create_post)(author=author, content="after the block")
    await assert_nothing_before_marker(socket, follower)


async def test_suspension_ends_every_stream_then_closes(open_socket):
    author, follower, _ = await setup_users()
    post = await database_sync_to_async(services.create_post)(author=author, content="x")
    socket = await subscribed(open_socket, follower, f"post:{post.pk}")
    until = timezone.now() + timedelta(days=1)
    await database_sync_to_async(user_services.suspend_user)(user=follower, until=until)
    assert (await socket.receive())["data"] == ended(f"post:{post.pk}", "suspended")
    assert await socket.receive_close() == 4003


async def test_subscribing_again_checks_afresh_even_when_subscribed(open_socket):
    """A change that sent no recheck (a raw update) still cannot be re-acked."""
    author, follower, _ = await setup_users()
    post = await database_sync_to_async(services.create_post)(
        author=author, content="x", privacy="followers"
    )
    stream = f"post:{post.pk}"
    socket = await subscribed(open_socket, follower, stream)
    await database_sync_to_async(ForumPost.objects.filter(pk=post.pk).update)(privacy="private")
    reply = await socket.request("subscribe", {"stream": stream})
    assert reply["type"] == "error" and reply["data"]["errors"][0]["code"] == "unknown_stream"
    await database_sync_to_async(publish_to_stream)(stream, "test.late", {})
    await assert_nothing_before_marker(socket, follower)


async def test_delivery_runs_no_query_and_a_recheck_one_per_socket(open_socket, all_queries):
    author, follower, _ = await setup_users()
    create = database_sync_to_async(services.create_post)
    posts = [await create(author=author, content=f"{n}", privacy="followers") for n in range(5)]
    sockets = [await subscribed(open_socket, follower, f"post:{posts[0].pk}") for _ in range(3)]
    for post in posts[1:]:
        assert (await sockets[0].request("subscribe", {"stream": f"post:{post.pk}"}))["type"] == (
            "ack"
        )

    all_queries.reset()
    for n in range(20):
        await database_sync_to_async(publish_to_stream)(
            f"post:{posts[0].pk}", "test.numbered", {"n": n}
        )
    for socket in sockets:
        for n in range(20):
            assert (await socket.receive())["data"] == {"n": n}
    assert all_queries.count == 0, all_queries.sql

    # Unfollowing re-checks the follower's sockets: one query per socket, however
    # many posts one of them follows.
    await database_sync_to_async(Follow.objects.filter(follower=follower).delete)()
    all_queries.reset()
    await database_sync_to_async(recheck_user_streams)([follower.pk])
    streams = {(await sockets[0].receive())["stream"] for _ in posts}
    assert streams == {f"post:{post.pk}" for post in posts}
    for socket in sockets[1:]:
        assert (await socket.receive())["stream"] == f"post:{posts[0].pk}"
    for socket in sockets:
        await socket.ping()
    hidden_actor_queries = 2  # blocked-by and blocking, refreshed per socket
    assert all_queries.count <= len(sockets) * (1 + hidden_actor_queries), all_queries.sql
