"""Notification events over the real gateway and channel layer, on every device of a user."""

import pytest
from channels.db import database_sync_to_async

from forum import services as forum
from tests.clients import client_for
from tests.factories import make_user
from tests.sockets import access_token

pytestmark = [pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def setup():
    author, fan, other_fan, bystander = make_user(), make_user(), make_user(), make_user()
    post = forum.create_post(author=author, content="hello")
    return author, fan, other_fan, bystander, post


def like(user, post):
    return database_sync_to_async(forum.set_post_like)(user=user, post_id=post.pk, liked=True)


def rest(user, method, path):
    def call():
        return getattr(client_for(user), method)(f"/api/v1/notifications/{path}")

    return database_sync_to_async(call)()


async def test_new_notifications_reach_every_device_and_read_reaches_the_others(open_socket):
    author, fan, other_fan, bystander, post = await setup()
    phone = await open_socket(access_token(author))
    laptop = await open_socket(access_token(author))
    onlooker = await open_socket(access_token(bystander))
    assert phone.connected and laptop.connected and onlooker.connected

    await like(fan, post)

    events = [await phone.receive(), await laptop.receive()]
    for event in events:
        assert event["type"] == "notification.new"
        assert event["id"]  # logged: replayed on `?since=` resume
        assert event["data"]["unread_count"] == 1
        notification = event["data"]["notification"]
        assert notification["kind"] == "post_liked"
        assert notification["actor"]["id"] == str(fan.pk)
        assert notification["target"] == {"type": "forum.post", "id": str(post.pk)}
    notification_id = events[0]["data"]["notification"]["id"]
    assert events[1]["data"]["notification"]["id"] == notification_id

    # A second like folds into the same row: the same id again, two actors.
    await like(other_fan, post)
    for socket in (phone, laptop):
        event = await socket.receive()
        assert event["type"] == "notification.new"
        assert event["data"]["notification"]["id"] == notification_id
        assert event["data"]["notification"]["actor_count"] == 2
        assert event["data"]["unread_count"] == 1

    # Read on the phone (over REST): the laptop hears it.
    resp = await rest(author, "post", f"{notification_id}/read/")
    assert resp.status_code == 200
    event = await laptop.receive()
    assert event["type"] == "notification.read"
    assert event["data"] == {"ids": [notification_id], "all": False, "unread_count": 0}

    assert await onlooker.comm.receive_nothing(timeout=0.3)


async def test_read_all_and_delete_are_told_to_the_other_devices(open_socket):
    author, fan, _, _, post = await setup()
    laptop = await open_socket(access_token(author))
    await like(fan, post)
    notification_id = (await laptop.receive())["data"]["notification"]["id"]

    assert (await rest(author, "post", "read-all/")).status_code == 200
    event = await laptop.receive()
    assert (event["type"], event["data"]) == (
        "notification.read",
        {"ids": [], "all": True, "unread_count": 0},
    )

    assert (await rest(author, "delete", f"{notification_id}/")).status_code == 204
    event = await laptop.receive()
    assert (event["type"], event["data"]) == (
        "notification.deleted",
        {"id": notification_id, "unread_count": 0},
    )
    assert await laptop.comm.receive_nothing(timeout=0.3)


async def test_a_device_that_was_away_gets_missed_notifications_on_resume(open_socket):
    author, fan, _, _, post = await setup()
    phone = await open_socket(access_token(author))
    await like(fan, post)
    first = await phone.receive()
    await phone.comm.disconnect()

    follower = await database_sync_to_async(make_user)()
    from users import services as users_services

    await database_sync_to_async(users_services.follow)(follower=follower, followee=author)

    back = await open_socket(access_token(author), via="query", since=first["id"])
    event = await back.receive()
    assert event["type"] == "notification.new"
    assert event["data"]["notification"]["kind"] == "new_follower"
    assert event["data"]["unread_count"] == 2
