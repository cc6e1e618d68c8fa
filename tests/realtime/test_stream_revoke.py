"""Ending subscriptions when visibility changes: the gateway's generic mechanism.

A test stream kind `probe` is registered with a checker reading a set, so what
is proven here holds for any app's kind (chat conversations included).
"""

import pytest
from channels.db import database_sync_to_async

from realtime import registry
from realtime.publish import (
    end_stream,
    end_user_streams,
    publish_to_stream,
    publish_to_users,
    recheck_stream,
    recheck_user_streams,
)

from .conftest import access_token

pytestmark = [pytest.mark.django_db(transaction=True)]

allowed: set[tuple[str, str]] = set()
calls: list[tuple[str, object]] = []


def one(user, arg):
    calls.append(("one", arg))
    return (str(user.pk), arg) in allowed


def many(user, args):
    calls.append(("many", tuple(sorted(args))))
    return [arg for arg in args if (str(user.pk), arg) in allowed]


def broken(user, arg):
    if calls:
        raise RuntimeError("checker down")
    calls.append(("broken", arg))
    return True


@pytest.fixture(autouse=True)
def probe_kinds():
    registry.register_stream("probe", one, many=many)
    registry.register_stream("single", one)
    registry.register_stream("flaky", broken)
    allowed.clear()
    calls.clear()
    yield
    for kind in ("probe", "single", "flaky"):
        registry.unregister_stream(kind)


async def joined(open_socket, user, *streams):
    socket = await open_socket(access_token(user))
    for stream in streams:
        arg = stream.partition(":")[2]
        allowed.add((str(user.pk), arg))
        assert (await socket.request("subscribe", {"stream": stream}))["type"] == "ack"
    return socket


async def marker(socket, user):
    await database_sync_to_async(publish_to_users)([user.pk], "test.marker", {}, persist=False)
    frame = await socket.receive()
    assert frame["type"] == "test.marker", frame


async def test_recheck_stream_ends_only_those_who_no_longer_pass(make_user, open_socket):
    kept_user, lost_user = [await database_sync_to_async(make_user)() for _ in range(2)]
    kept = await joined(open_socket, kept_user, "probe:a")
    lost = await joined(open_socket, lost_user, "probe:a")
    allowed.discard((str(lost_user.pk), "a"))

    await database_sync_to_async(recheck_stream)("probe:a")
    frame = await lost.receive()
    assert frame == {
        "type": "stream.ended",
        "id": None,
        "ts": frame["ts"],
        "stream": "probe:a",
        "data": {"stream": "probe:a", "reason": "not_visible"},
    }
    await database_sync_to_async(publish_to_stream)("probe:a", "test.probe.news", {"n": 1})
    assert (await kept.receive())["data"] == {"n": 1}
    await marker(lost, lost_user)
    await marker(kept, kept_user)  # the one who still passes got no stream.ended


async def test_user_recheck_is_one_batch_call_per_kind_and_filters_by_kind(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    socket = await joined(open_socket, user, "probe:a", "probe:b", "probe:c", "single:x")
    allowed.clear()
    calls.clear()

    await database_sync_to_async(recheck_user_streams)([user.pk], kinds=["probe"])
    ended = {(await socket.receive())["stream"] for _ in range(3)}
    assert ended == {"probe:a", "probe:b", "probe:c"}
    await marker(socket, user)
    assert calls == [("many", ("a", "b", "c"))]  # single:x was not concerned

    await database_sync_to_async(end_user_streams)([user.pk], reason="removed")
    assert (await socket.receive())["data"] == {"stream": "single:x", "reason": "removed"}


async def test_end_stream_and_end_user_streams_need_no_check(make_user, open_socket):
    user, other = [await database_sync_to_async(make_user)() for _ in range(2)]
    socket = await joined(open_socket, user, "probe:a", "probe:b")
    others = await joined(open_socket, other, "probe:a")
    calls.clear()

    await database_sync_to_async(end_stream)("probe:a")
    for each in (socket, others):
        assert (await each.receive())["data"] == {"stream": "probe:a", "reason": "deleted"}
    await database_sync_to_async(end_user_streams)([user.pk], streams=["probe:b"], reason="removed")
    assert (await socket.receive())["data"] == {"stream": "probe:b", "reason": "removed"}
    assert calls == []
    await database_sync_to_async(publish_to_stream)("probe:a", "test.probe.news", {})
    await marker(socket, user)
    await marker(others, other)


async def test_a_failing_checker_fails_closed(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    socket = await joined(open_socket, user, "flaky:z")
    await database_sync_to_async(recheck_user_streams)([user.pk])
    assert (await socket.receive())["data"] == {"stream": "flaky:z", "reason": "not_visible"}
    reply = await socket.request("subscribe", {"stream": "flaky:z"})
    assert reply["type"] == "error" and reply["data"]["errors"][0]["code"] == "unknown_stream"


def test_bad_stream_names_fail_in_the_caller():
    with pytest.raises(ValueError):
        recheck_stream("post:has space")
    with pytest.raises(ValueError):
        end_user_streams(["u"], streams=["no such:thing"], reason="removed")
