"""An open socket misses nothing that was logged: each live event names the one
logged before it for its user, and a socket that did not send that one reads the
gap from the log first (a publish that failed after logging, or two publishes
arriving out of order)."""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from core import degraded
from realtime import eventlog, publish
from realtime.backend import REALTIME_STORE_PART
from realtime.groups import user_group
from realtime.publish import encode, envelope_text, event_message, publish_to_users

from .conftest import access_token

DB = pytest.mark.django_db(transaction=True)
REDIS = pytest.mark.requires_redis
TS = "2030-01-01T00:00:00Z"


def _publish(user_id, n: int) -> None:
    publish_to_users([user_id], "test.live", {"n": n})


async def _log_only(user_id, n: int) -> eventlog.Appended:
    """What a publish whose send failed leaves: the event in the log, no frame."""
    (entry,) = await sync_to_async(eventlog.append_chained)(
        [eventlog.NewEvent(user_id, "test.logged", TS, encode({"n": n}))]
    )
    return entry


async def _send_live(user_id, entry: eventlog.Appended, n: int) -> None:
    text = envelope_text(
        event_type="test.logged", event_id=entry.id, ts=TS, data_json=encode({"n": n})
    )
    await get_channel_layer().group_send(
        user_group(user_id), event_message(event_id=entry.id, prev=entry.prev, text=text)
    )


async def _numbers(socket, count: int) -> list:
    return [(await socket.receive())["data"]["n"] for _ in range(count)]


@DB
async def test_an_event_logged_but_never_sent_comes_before_the_next_live_one(
    store, make_user, open_socket
):
    user = await database_sync_to_async(make_user)()
    phone = await open_socket(access_token(user))
    laptop = await open_socket(access_token(user), via="query")
    await database_sync_to_async(_publish)(user.pk, 1)
    assert await _numbers(phone, 1) == [1]
    assert await _numbers(laptop, 1) == [1]

    missed = await _log_only(user.pk, 2)
    await database_sync_to_async(_publish)(user.pk, 3)

    for socket in (phone, laptop):
        frames = [await socket.receive() for _ in range(2)]
        assert [f["data"]["n"] for f in frames] == [2, 3]
        assert frames[0]["id"] == missed.id
        assert await socket.comm.receive_nothing(timeout=0.2)


@DB
async def test_events_arriving_out_of_order_are_sent_in_log_order_once(
    store, make_user, open_socket
):
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))
    await database_sync_to_async(_publish)(user.pk, 1)
    assert await _numbers(socket, 1) == [1]

    second, third = await _log_only(user.pk, 2), await _log_only(user.pk, 3)
    await _send_live(user.pk, third, 3)
    await _send_live(user.pk, second, 2)
    await database_sync_to_async(_publish)(user.pk, 4)

    assert await _numbers(socket, 3) == [2, 3, 4]
    assert await socket.comm.receive_nothing(timeout=0.2)


@DB
async def test_a_gap_the_log_no_longer_holds_asks_for_a_resync(store, make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))
    await database_sync_to_async(_publish)(user.pk, 1)
    assert await _numbers(socket, 1) == [1]

    await _log_only(user.pk, 2)
    await sync_to_async(eventlog.forget)([user.pk])  # what an outage's clean-up does
    await database_sync_to_async(_publish)(user.pk, 3)

    assert (await socket.receive())["type"] == "resync.required"
    assert await _numbers(socket, 1) == [3]
    assert await socket.comm.receive_nothing(timeout=0.2)


@DB
async def test_a_new_socket_takes_the_live_event_as_it_comes(store, make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    await database_sync_to_async(_publish)(user.pk, 1)  # before the socket
    socket = await open_socket(access_token(user))
    await database_sync_to_async(_publish)(user.pk, 2)
    assert await _numbers(socket, 1) == [2]
    assert await socket.comm.receive_nothing(timeout=0.2)


@DB
async def test_after_a_resync_an_event_that_never_came_live_is_still_noticed(
    store, make_user, open_socket
):
    """A socket resuming from an id the log no longer covers (Redis restarted
    empty) is told to resync; the log's newest id at that instant is its new
    mark, so a later live event naming an unseen `prev` brings the missed one
    first, instead of the missed one being skipped without a word."""
    user = await database_sync_to_async(make_user)()
    await database_sync_to_async(_publish)(user.pk, 1)
    socket = await open_socket(access_token(user), since="1-0")
    assert (await socket.receive())["type"] == "resync.required"

    missed = await _log_only(user.pk, 2)
    await database_sync_to_async(_publish)(user.pk, 3)

    frames = [await socket.receive() for _ in range(2)]
    assert [(f["id"], f["data"]["n"]) for f in frames] == [(missed.id, 2), (frames[1]["id"], 3)]
    assert await socket.comm.receive_nothing(timeout=0.2)


@DB
async def test_an_open_socket_is_told_to_resync_when_its_events_are_dropped_unlogged(
    store, make_user, open_socket, settings
):
    """The event log is out (or still backing off after an outage) while the socket
    is open: the dropped event cannot be replayed, so the socket hears
    `resync.required` at once rather than nothing."""
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))
    settings.REDIS_OUTAGE_BACKOFF_SECONDS = 60
    degraded.reset()
    try:
        degraded.report(REALTIME_STORE_PART, ConnectionError("refused"))
        await database_sync_to_async(_publish)(user.pk, 1)
        assert (await socket.receive())["type"] == "resync.required"
        assert await socket.comm.receive_nothing(timeout=0.2)
    finally:
        degraded.reset()
        publish._gaps.clear()
