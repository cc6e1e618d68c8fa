"""Inbound frames: bad input, size and rate limits, dispatch to handlers, subscriptions."""

import json
import uuid

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from core.exceptions import Forbidden
from realtime import codes, registry
from realtime.publish import publish_to_stream, publish_to_users

from .conftest import access_token, realtime_settings

DB = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def user_socket(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))
    assert socket.connected
    socket.user = user
    return socket


@DB
async def test_bad_frames_get_an_error_and_the_socket_stays_open(user_socket):
    comm = user_socket.comm
    cases = [
        ("{not json", None, codes.MALFORMED_FRAME),
        ("[1, 2]", None, codes.MALFORMED_FRAME),
        ('"ping"', None, codes.MALFORMED_FRAME),
        (json.dumps({"ref": "a1", "data": {}}), "a1", codes.MALFORMED_FRAME),
        (json.dumps({"type": "", "ref": "a2"}), "a2", codes.MALFORMED_FRAME),
        (json.dumps({"type": "ping", "ref": {"x": 1}}), None, codes.MALFORMED_FRAME),
        (json.dumps({"type": "no.such.type", "ref": "a3"}), "a3", codes.UNKNOWN_TYPE),
        (json.dumps({"type": "ping", "ref": 7, "data": [1]}), 7, codes.INVALID_DATA),
        (json.dumps({"type": "subscribe", "ref": "a4", "data": {}}), "a4", codes.INVALID_DATA),
    ]
    for text, ref, code in cases:
        await comm.send_to(text_data=text)
        reply = await user_socket.receive()
        assert reply["type"] == "error", text
        assert reply["ref"] == ref, text
        assert reply["data"]["errors"][0]["code"] == code, text
        assert reply["data"]["errors"][0]["detail"]

    await comm.send_to(bytes_data=b'{"type": "ping"}')
    reply = await user_socket.receive()
    assert reply["data"]["errors"][0]["code"] == codes.MALFORMED_FRAME
    await user_socket.ping()


@DB
async def test_oversized_frame_gets_frame_too_large_and_the_socket_stays_open(
    settings, make_user, open_socket
):
    realtime_settings(settings, MAX_FRAME_BYTES=200)
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))

    await socket.send("ping", {"padding": "x" * 300})
    reply = await socket.receive()
    assert reply["type"] == "error"
    assert reply["data"]["errors"][0]["code"] == codes.FRAME_TOO_LARGE
    # Measured in bytes, not characters: 60 three-byte characters exceed 150 bytes.
    await socket.send("ping", {"padding": "€" * 60})
    reply = await socket.receive()
    assert reply["data"]["errors"][0]["code"] == codes.FRAME_TOO_LARGE
    await socket.ping()


@DB
async def test_flooding_is_rate_limited_then_closed_with_4008(settings, make_user, open_socket):
    realtime_settings(
        settings, RATE_LIMIT_PER_SECOND=0.001, RATE_LIMIT_BURST=3, RATE_LIMIT_STRIKES=3
    )
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))

    for _ in range(3):
        await socket.ping()
    for _ in range(3):
        await socket.send("ping")
    for _ in range(3):
        reply = await socket.receive()
        assert reply["type"] == "error"
        assert reply["data"]["errors"][0]["code"] == codes.RATE_LIMITED
    assert await socket.receive_close() == codes.CLOSE_RATE_LIMITED


@pytest.fixture
def test_handlers():
    calls = []

    async def echo(context, data):
        calls.append(context)
        return {"echo": data.get("value"), "user_id": context.user.pk}

    def whoami(context, data):
        # Sync handlers run in a worker thread and may use the ORM directly.
        return {"email": get_user_model().objects.get(pk=context.user.pk).email}

    def refuse(context, data):
        raise Forbidden("not_allowed", "You may not do that.")

    async def crash(context, data):
        raise RuntimeError("bug")

    handlers = {
        "test.echo": echo,
        "test.whoami": whoami,
        "test.refuse": refuse,
        "test.crash": crash,
    }
    for name, handler in handlers.items():
        registry.register_handler(name, handler)
    yield calls
    for name in handlers:
        registry.unregister_handler(name)


@DB
async def test_registered_handlers_answer_with_ack_or_error_carrying_the_ref(
    test_handlers, user_socket
):
    user = user_socket.user

    reply = await user_socket.request("test.echo", {"value": 42})
    assert reply == {
        "type": "ack",
        "ref": reply["ref"],
        "data": {"echo": 42, "user_id": str(user.pk)},
    }
    assert test_handlers[0].user.pk == user.pk
    assert test_handlers[0].subscriptions == frozenset()

    reply = await user_socket.request("test.whoami")
    assert reply["type"] == "ack"
    assert reply["data"] == {"email": user.email}

    reply = await user_socket.request("test.refuse")
    assert reply["type"] == "error"
    assert reply["data"] == {
        "type": "client_error",
        "errors": [{"code": "not_allowed", "detail": "You may not do that.", "attr": None}],
    }

    reply = await user_socket.request("test.crash")
    assert reply["type"] == "error"
    assert reply["data"]["errors"][0]["code"] == codes.INTERNAL_ERROR
    await user_socket.ping()


def test_builtin_and_duplicate_handler_registrations_are_refused(test_handlers):
    async def other(context, data):
        return {}

    with pytest.raises(ImproperlyConfigured):
        registry.register_handler("subscribe", other)
    with pytest.raises(ImproperlyConfigured):
        registry.register_handler("test.echo", other)
    with pytest.raises(ImproperlyConfigured):
        registry.register_handler("Bad Name", other)


@pytest.fixture
def profile_stream():
    """A test stream kind: ``profile:<user id>`` is visible while that user is active."""

    def can_see_profile(user, arg):
        return get_user_model().objects.filter(pk=arg, is_active=True).exists()

    registry.register_stream("profile", can_see_profile)
    yield
    registry.unregister_stream("profile")


@DB
async def test_subscribe_checks_visibility_and_unsubscribe_stops_delivery(
    profile_stream, make_user, user_socket
):
    visible = await database_sync_to_async(make_user)()
    hidden = await database_sync_to_async(make_user)(is_active=False)
    stream = f"profile:{visible.pk}"

    reply = await user_socket.request("subscribe", {"stream": stream})
    assert reply["type"] == "ack"
    assert reply["data"] == {"stream": stream}

    # A hidden object, a missing one, an unknown kind and a bad name answer alike.
    for refused in (
        f"profile:{hidden.pk}",
        f"profile:{uuid.uuid4()}",
        f"nosuchkind:{visible.pk}",
        "profile:not a valid name",
    ):
        reply = await user_socket.request("subscribe", {"stream": refused})
        assert reply["type"] == "error", refused
        assert reply["data"]["errors"][0]["code"] == codes.UNKNOWN_STREAM, refused

    await database_sync_to_async(publish_to_stream)(stream, "test.profile.changed", {"n": 1})
    event = await user_socket.receive()
    assert event["type"] == "test.profile.changed"
    assert event["stream"] == stream
    assert event["id"] is None
    assert event["data"] == {"n": 1}

    reply = await user_socket.request("unsubscribe", {"stream": stream})
    assert reply["type"] == "ack"
    await database_sync_to_async(publish_to_stream)(stream, "test.profile.changed", {"n": 2})
    await database_sync_to_async(publish_to_users)(
        [user_socket.user.pk], "test.after.unsubscribe", {}
    )
    event = await user_socket.receive()
    assert event["type"] == "test.after.unsubscribe"


@DB
async def test_subscriptions_per_socket_are_capped(
    settings, profile_stream, make_user, open_socket
):
    realtime_settings(settings, MAX_SUBSCRIPTIONS=1)
    user = await database_sync_to_async(make_user)()
    other = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))

    assert (await socket.request("subscribe", {"stream": f"profile:{user.pk}"}))["type"] == "ack"
    reply = await socket.request("subscribe", {"stream": f"profile:{other.pk}"})
    assert reply["data"]["errors"][0]["code"] == codes.TOO_MANY_SUBSCRIPTIONS
