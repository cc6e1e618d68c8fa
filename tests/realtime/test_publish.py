"""publish(): addressed delivery, after commit only, and the envelope."""

import re
import uuid
from datetime import datetime

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from realtime import eventlog
from realtime.groups import stream_group, user_group
from realtime.publish import publish_to_stream, publish_to_users

from .conftest import access_token

DB = pytest.mark.django_db(transaction=True)
EVENT_ID = re.compile(r"^\d+-\d+$")


@DB
async def test_publish_to_users_reaches_every_socket_of_the_user_and_nobody_else(
    make_user, open_socket
):
    alice = await database_sync_to_async(make_user)()
    bob = await database_sync_to_async(make_user)()
    phone = await open_socket(access_token(alice))
    laptop = await open_socket(access_token(alice), via="query")
    bobs = await open_socket(access_token(bob))
    ref = uuid.uuid4()

    await database_sync_to_async(publish_to_users)(
        [alice.pk], "test.thing.happened", {"ref": ref, "n": 1}
    )
    on_phone = await phone.receive()
    on_laptop = await laptop.receive()
    assert on_phone == on_laptop
    assert on_phone["type"] == "test.thing.happened"
    assert on_phone["data"] == {"ref": str(ref), "n": 1}
    assert EVENT_ID.match(on_phone["id"])
    assert on_phone["ts"].endswith("Z")
    datetime.fromisoformat(on_phone["ts"])

    await database_sync_to_async(publish_to_users)([bob.pk], "test.for.bob", {})
    assert (await bobs.receive())["type"] == "test.for.bob"


def _publish_in_rolled_back_then_committed_transactions(user_id):
    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            publish_to_users([user_id], "test.rolled.back", {})
            raise Rollback
    except Rollback:
        pass
    with transaction.atomic():
        publish_to_users([user_id], "test.committed", {})


@DB
async def test_publish_inside_a_rolled_back_transaction_sends_nothing(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))

    await database_sync_to_async(_publish_in_rolled_back_then_committed_transactions)(user.pk)

    first = await socket.receive()
    assert first["type"] == "test.committed"
    logged = await database_sync_to_async(eventlog.read_since)(user.pk, "0-0")
    assert [event.type for event in logged] == ["test.committed"]


def test_invalid_event_types_and_streams_fail_in_the_caller():
    with pytest.raises(ValueError):
        publish_to_users(["u"], "NoDots", {})
    with pytest.raises(ValueError):
        publish_to_stream("post:has space", "test.liked", {})
    with pytest.raises(TypeError):
        publish_to_users(["u"], "test.bad.payload", ["not", "a", "mapping"])


def test_group_names_are_valid_channel_group_names():
    from channels.layers import BaseChannelLayer

    layer = BaseChannelLayer()
    user_id = uuid.uuid4()
    for group in (
        user_group(user_id),
        stream_group("forum"),
        stream_group(f"post:{user_id}"),
    ):
        assert layer.require_valid_group_name(group)
    assert stream_group(f"post:{user_id}") == f"stream.post.{user_id}"
    assert user_group(user_id) == f"user.{user_id}"
    for bad in ("post:", "post:a:b", "Post:1", "post:a b", "", "post:" + "x" * 65):
        with pytest.raises(ValueError):
            stream_group(bad)


@pytest.mark.django_db(transaction=True)
@pytest.mark.on_commit_failures_expected
def test_a_failing_delivery_is_logged_not_raised_into_the_caller(monkeypatch, caplog):
    from realtime import publish

    def broken(*args):
        raise RuntimeError("channel layer down")

    monkeypatch.setattr(publish, "_group_send_all", broken)
    with transaction.atomic():
        publish.publish_to_stream("forum", "test.post.new", {"id": "1"})
    assert "channel layer down" in caplog.text
