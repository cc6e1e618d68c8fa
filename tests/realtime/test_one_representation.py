"""One representation per object on every transport: each event's object equals
what REST shows the recipient for the same object, absolute URLs included
(`PUBLIC_ORIGIN`, whatever Host the REST request came with)."""

import pytest
from channels.db import database_sync_to_async

from tests.chat.socket_helpers import next_frame, request
from tests.clients import client_for
from tests.factories import image_upload, make_user
from tests.sockets import access_token

pytestmark = [pytest.mark.django_db(transaction=True)]
ORIGIN = "https://api.example.org"
PER_VIEWER = ("unread_count", "muted")


@pytest.fixture(autouse=True)
def _public_origin(settings, tmp_path):
    settings.PUBLIC_ORIGIN = ORIGIN
    settings.MEDIA_ROOT = str(tmp_path / "media")


def call(user, method: str, path: str, data=None, fmt="json"):
    @database_sync_to_async
    def run():
        response = getattr(client_for(user), method)(path, data, format=fmt)
        assert response.status_code < 300, (path, response.content)
        return response.json() if response.content else None

    return run()


async def of_type(socket, event_type: str) -> dict:
    while True:
        frame = await next_frame(socket)
        if frame["type"] == event_type:
            return frame


def urls_in(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("url") and isinstance(item, str):
                yield item
            yield from urls_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from urls_in(item)


def assert_absolute(data, *, at_least: int) -> None:
    urls = list(urls_in(data))
    assert len(urls) >= at_least, data
    assert all(url.startswith(ORIGIN + "/") for url in urls), urls


async def test_forum_events_are_the_objects_rest_shows(open_socket):
    alice, bob = (
        await database_sync_to_async(make_user)(),
        await database_sync_to_async(make_user)(),
    )
    await call(alice, "post", "/api/v1/users/me/avatar/", {"avatar": image_upload()}, "multipart")
    bobs = await open_socket(access_token(bob))
    alices = await open_socket(access_token(alice))
    assert (await bobs.request("subscribe", {"stream": "forum"}))["type"] == "ack"

    media = await call(
        alice, "post", "/api/v1/forum/upload/", {"file": image_upload()}, "multipart"
    )
    post = await call(
        alice, "post", "/api/v1/forum/posts/", {"content": "a picture", "media": [media["id"]]}
    )
    event = await of_type(bobs, "forum.post.new")
    assert event["data"] == await call(bob, "get", f"/api/v1/forum/posts/{post['id']}/")
    # The image and the author's uploaded avatar (/media/), both absolute.
    assert_absolute(event["data"], at_least=2)
    assert event["data"]["user"]["avatar_url"].startswith(ORIGIN + "/media/")

    stream = {"stream": f"post:{post['id']}"}
    assert (await bobs.request("subscribe", stream))["type"] == "ack"
    liked = await call(bob, "post", f"/api/v1/forum/posts/{post['id']}/like/")
    event = await of_type(bobs, "forum.post.liked")
    # REST's like state, less the caller's own is_liked.
    assert event["data"] == {k: v for k, v in liked.items() if k != "is_liked"}
    assert set(liked) - set(event["data"]) == {"is_liked"}

    told = await of_type(alices, "notification.new")
    listed = await call(alice, "get", "/api/v1/notifications/")
    assert told["data"]["notification"] == listed["notifications"][0]
    unread = await call(alice, "get", "/api/v1/notifications/unread-count/")
    assert told["data"]["unread_count"] == unread["unread_count"]
    # Bob's default avatar: /static/, absolute too.
    assert told["data"]["notification"]["actor"]["avatar_url"].startswith(ORIGIN + "/static/")

    comment = await call(
        alice, "post", f"/api/v1/forum/posts/{post['id']}/comments/", {"content": "thanks"}
    )
    event = await of_type(bobs, "forum.comment.new")
    page = await call(bob, "get", f"/api/v1/forum/posts/{post['id']}/comments/")
    [shown] = [c for c in page["comments"] if c["id"] == comment["id"]]
    assert event["data"] == {**shown, "post_id": post["id"]}
    assert_absolute(event["data"], at_least=1)

    liked = await call(bob, "post", f"/api/v1/forum/comments/{comment['id']}/like/")
    event = await of_type(bobs, "forum.comment.liked")
    assert event["data"] == {k: v for k, v in liked.items() if k != "is_liked"}
    assert set(liked) - set(event["data"]) == {"is_liked"}


async def test_chat_events_and_the_ack_are_the_objects_rest_shows(open_socket):
    alice, bob = (
        await database_sync_to_async(make_user)(),
        await database_sync_to_async(make_user)(),
    )
    await call(alice, "post", "/api/v1/users/me/avatar/", {"avatar": image_upload()}, "multipart")
    alices, bobs = await open_socket(access_token(alice)), await open_socket(access_token(bob))

    conversation = await call(
        alice,
        "post",
        "/api/v1/chat/conversations/",
        {"kind": "direct", "participant_ids": [str(bob.pk)]},
    )
    event = await of_type(bobs, "chat.conversation.updated")
    listed = await call(bob, "get", "/api/v1/chat/conversations/")
    [shown] = [c for c in listed["conversations"] if c["id"] == conversation["id"]]
    data = {k: v for k, v in event["data"].items() if k != "change"}
    assert data == {k: v for k, v in shown.items() if k not in PER_VIEWER}
    assert_absolute(data, at_least=1)

    image = await call(alice, "post", "/api/v1/chat/upload/", {"file": image_upload()}, "multipart")
    ack = await request(
        alices,
        "chat.message.sent",
        {"conversation_id": conversation["id"], "body": "look", "media_ids": [image["id"]]},
        skip_events=True,
    )
    assert ack["type"] == "ack", ack
    message = ack["data"]
    page = await call(bob, "get", f"/api/v1/chat/conversations/{conversation['id']}/messages/")
    assert message == page["messages"][0]
    event = await of_type(bobs, "chat.message.new")
    assert event["data"] == message
    [url] = [m["url"] for m in message["media"]]
    assert url.startswith(ORIGIN + "/media/") and "signature=" in url  # private: signed
    assert message["sender"]["avatar_url"].startswith(ORIGIN + "/media/")
