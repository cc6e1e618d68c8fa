"""Forum events over the real socket and channel layer: who hears what."""

import pytest
from channels.db import database_sync_to_async

from forum import services
from tests.factories import FollowFactory, make_user
from tests.sockets import access_token, assert_may_subscribe

pytestmark = [pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def setup_users():
    author, follower, stranger = make_user(), make_user(), make_user()
    FollowFactory(follower=follower, followee=author)
    return author, follower, stranger


@pytest.mark.parametrize(
    "privacy, follower_may, stranger_may",
    [("public", True, True), ("followers", True, False), ("private", False, False)],
)
async def test_post_stream_subscription_follows_visibility(
    open_socket, privacy, follower_may, stranger_may
):
    author, follower, stranger = await setup_users()
    post = await database_sync_to_async(services.create_post)(
        author=author, content="x", privacy=privacy
    )
    for user, allowed in ((author, True), (follower, follower_may), (stranger, stranger_may)):
        socket = await open_socket(access_token(user))
        await assert_may_subscribe(socket, f"post:{post.pk}", allowed)


async def test_likes_and_comments_reach_post_subscribers(open_socket):
    author, follower, stranger = await setup_users()
    post = await database_sync_to_async(services.create_post)(author=author, content="hi")
    watcher = await open_socket(access_token(follower))
    assert (await watcher.request("subscribe", {"stream": f"post:{post.pk}"}))["type"] == "ack"

    await database_sync_to_async(services.set_post_like)(user=stranger, post_id=post.pk, liked=True)
    event = await watcher.receive()
    assert event["type"] == "forum.post.liked"
    assert event["data"] == {"post_id": str(post.pk), "like_count": 1}

    await database_sync_to_async(services.create_comment)(post=post, author=stranger, content="yo")
    event = await watcher.receive()
    assert event["type"] == "forum.comment.new"
    assert event["data"]["post_id"] == str(post.pk) and event["data"]["content"] == "yo"


async def test_only_public_posts_go_to_the_forum_stream(open_socket):
    author, follower, _ = await setup_users()
    listener = await open_socket(access_token(follower))
    assert (await listener.request("subscribe", {"stream": "forum"}))["type"] == "ack"
    create = database_sync_to_async(services.create_post)
    await create(author=author, content="secret", privacy="followers")
    await create(author=author, content="hello all")
    event = await listener.receive()
    assert event["type"] == "forum.post.new" and event["data"]["content"] == "hello all"


@database_sync_to_async
def rest_body(user, path: str):
    from tests.clients import client_for

    response = client_for(user).get(path)
    assert response.status_code == 200, response.content
    return response.json()


async def test_new_posts_and_comments_carry_the_rest_shape(open_socket, settings):
    """`forum.post.new` is the post as REST shows it to a viewer who has not liked it;
    `forum.comment.new` the comment as the comments list shows it, plus post_id."""
    settings.PUBLIC_ORIGIN = "http://testserver"
    author, follower, _ = await setup_users()
    listener = await open_socket(access_token(follower))
    assert (await listener.request("subscribe", {"stream": "forum"}))["type"] == "ack"
    post = await database_sync_to_async(services.create_post)(
        author=author, content="shaped", tags=["one", "two"]
    )
    event = await listener.receive()
    assert event["type"] == "forum.post.new"
    assert event["data"] == await rest_body(follower, f"/api/forum/posts/{post.pk}/")
    assert event["data"]["user"]["id"] == str(author.pk)
    assert event["data"]["timestamp"].endswith("Z") and event["data"]["is_liked"] is False

    assert (await listener.request("subscribe", {"stream": f"post:{post.pk}"}))["type"] == "ack"
    comment = await database_sync_to_async(services.create_comment)(
        post=post, author=follower, content="a reply"
    )
    event = await listener.receive()
    assert event["type"] == "forum.comment.new"
    [listed] = (await rest_body(follower, f"/api/forum/posts/{post.pk}/comments/"))["comments"]
    assert event["data"] == {**listed, "post_id": str(post.pk)}
    assert event["data"]["id"] == str(comment.pk) and "user_id" not in event["data"]
