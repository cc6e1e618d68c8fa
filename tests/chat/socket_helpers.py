"""Shared steps of the chat socket tests (real socket, real channel layer)."""

from channels.db import database_sync_to_async

from realtime.publish import publish_to_users
from tests.sockets import access_token

MARKER = "test.marker"


async def connect(open_socket, user, **kwargs):
    socket = await open_socket(access_token(user), **kwargs)
    assert socket.connected, socket.subprotocol_or_code
    return socket


PRESENCE = ("presence.user.join", "presence.user.leave")


async def quiet(socket, user, *, skip=PRESENCE):
    """Nothing (but `skip`) was queued for `socket` before now: the next frame is a
    marker sent now."""
    await database_sync_to_async(publish_to_users)([user.pk], MARKER, {}, persist=False)
    while True:
        frame = await socket.receive()
        if frame["type"] not in skip:
            break
    assert frame["type"] == MARKER, frame


async def next_frame(socket, *, skip=PRESENCE, timeout: float = 3) -> dict:
    """The next frame that is not presence."""
    while True:
        frame = await socket.receive(timeout=timeout)
        if frame["type"] not in skip:
            return frame


async def request(socket, message_type: str, data: dict, *, skip_events=False) -> dict:
    """Send a frame and return its reply (`ack` or `error`), skipping presence
    (and, with `skip_events`, any event: replies alone carry a `ref`)."""
    ref = await socket.send(message_type, data)
    reply = await next_frame(socket)
    while skip_events and "ref" not in reply:
        reply = await next_frame(socket)
    assert reply.get("ref") == ref, reply
    return reply


def rest(user, method: str, path: str, data=None):
    from .conftest import client_for

    @database_sync_to_async
    def call():
        client = client_for(user)
        return getattr(client, method)(path, data, format="json")

    return call()
