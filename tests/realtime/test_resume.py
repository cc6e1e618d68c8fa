"""Resume with ?since=: every missed event once, in order, then live ones."""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from realtime import eventlog
from realtime.groups import user_group
from realtime.publish import encode, envelope_text, event_message, publish_to_users

from .conftest import access_token, realtime_settings

DB = pytest.mark.django_db(transaction=True)


def _publish_many(user_id, names):
    for name in names:
        publish_to_users([user_id], f"test.{name}", {"name": name})


@DB
async def test_reconnect_with_since_gets_missed_events_once_in_order_then_live(
    make_user, open_socket
):
    user = await database_sync_to_async(make_user)()
    first = await open_socket(access_token(user))
    await database_sync_to_async(_publish_many)(user.pk, ["e1", "e2"])
    seen = [await first.receive(), await first.receive()]
    assert [e["type"] for e in seen] == ["test.e1", "test.e2"]
    await first.comm.disconnect()

    await database_sync_to_async(_publish_many)(user.pk, ["e3", "e4", "e5"])
    # e6 is logged before the reconnect reads the log, and its live copy reaches
    # the socket only afterwards: the race the resume must not turn into a duplicate.
    ts = "2030-01-01T00:00:00Z"
    (e6_id,) = await sync_to_async(eventlog.append)(
        [user.pk], event_type="test.e6", ts=ts, data_json=encode({"name": "e6"})
    )

    second = await open_socket(access_token(user), since=seen[-1]["id"])
    e6_live = envelope_text(event_type="test.e6", event_id=e6_id, ts=ts, data_json='{"name":"e6"}')
    await get_channel_layer().group_send(
        user_group(user.pk), event_message(event_id=e6_id, text=e6_live)
    )
    await database_sync_to_async(_publish_many)(user.pk, ["e7"])

    received = [await second.receive() for _ in range(5)]
    assert [e["type"] for e in received] == [f"test.e{n}" for n in range(3, 8)]
    assert [e["data"]["name"] for e in received] == [f"e{n}" for n in range(3, 8)]
    ids = [eventlog.parse_event_id(e["id"]) for e in received]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    # Nothing more: e6's live copy was dropped, and a ping is answered next.
    await second.ping()


@DB
async def test_since_the_last_event_replays_nothing_and_continues_live(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    await database_sync_to_async(_publish_many)(user.pk, ["e1"])
    (last,) = await sync_to_async(eventlog.read_since)(user.pk, "0-0")

    socket = await open_socket(access_token(user), since=last.id)
    await database_sync_to_async(_publish_many)(user.pk, ["e2"])
    assert (await socket.receive())["type"] == "test.e2"


@DB
async def test_gap_older_than_the_log_gets_resync_required_then_live(
    settings, make_user, open_socket
):
    realtime_settings(settings, EVENT_LOG_MAXLEN=3)
    user = await database_sync_to_async(make_user)()
    await database_sync_to_async(_publish_many)(user.pk, ["first"])
    (first,) = await sync_to_async(eventlog.read_since)(user.pk, "0-0")
    # Redis trims approximately, a whole node (up to 100 entries) at a time.
    await sync_to_async(eventlog.append)(
        [user.pk] * 150, event_type="test.filler", ts="2030-01-01T00:00:00Z", data_json="{}"
    )

    socket = await open_socket(access_token(user), since=first.id)
    assert (await socket.receive())["type"] == "resync.required"
    await database_sync_to_async(_publish_many)(user.pk, ["live"])
    assert (await socket.receive())["type"] == "test.live"


@DB
async def test_malformed_or_unknown_since_gets_resync_required(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    await database_sync_to_async(_publish_many)(user.pk, ["e1"])
    for since in ("garbage", "99999999999999-0", "1-0"):
        socket = await open_socket(access_token(user), since=since)
        assert (await socket.receive())["type"] == "resync.required", since
        await socket.ping()
