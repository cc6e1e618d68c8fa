"""Socket test helpers: a WebsocketCommunicator against the real ASGI app, and fixtures."""

import asyncio
import itertools
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from config.asgi import application
from tests import factories

ORIGIN = (b"origin", b"http://testserver")
# A browser on the server's own origin: its Origin names the Host it connects to.
HOST = (b"host", b"testserver")
_emails = itertools.count()


@pytest.fixture
def make_user(db):
    """`tests.factories.make_user`, as a fixture for async tests that need the db."""
    return factories.make_user


def access_token(user, lifetime: timedelta | None = None) -> str:
    token = AccessToken.for_user(user)
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    return str(token)


def token_expiry(token: str) -> int:
    return AccessToken(token, verify=False)["exp"]


def realtime_settings(settings, **overrides):
    settings.REALTIME = {**settings.REALTIME, **overrides}


class Socket:
    """A WebsocketCommunicator against the real ASGI app, with protocol shortcuts."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.comm = communicator
        self.connected = False
        self.subprotocol_or_code = None
        self._refs = itertools.count(1)

    async def send(self, message_type: str, data=None, ref=None) -> str:
        ref = ref if ref is not None else f"r{next(self._refs)}"
        await self.comm.send_json_to({"type": message_type, "ref": ref, "data": data or {}})
        return ref

    async def request(self, message_type: str, data=None) -> dict:
        ref = await self.send(message_type, data)
        reply = await self.receive()
        assert reply["ref"] == ref, reply
        return reply

    async def ping(self) -> None:
        reply = await self.request("ping")
        assert reply["type"] == "ack", reply

    async def receive(self, timeout: float = 2) -> dict:
        return await self.comm.receive_json_from(timeout=timeout)

    async def receive_close(self, timeout: float = 2) -> int:
        message = await self.comm.receive_output(timeout=timeout)
        assert message["type"] == "websocket.close", message
        return message.get("code", 1000)


async def assert_may_subscribe(socket, stream: str, allowed: bool) -> None:
    """`subscribe` to `stream` is acked if `allowed`, else refused like a stream
    that does not exist (a post you may not see is never told apart)."""
    reply = await socket.request("subscribe", {"stream": stream})
    if allowed:
        assert reply["type"] == "ack", reply
    else:
        assert (
            reply["type"] == "error" and reply["data"]["errors"][0]["code"] == "unknown_stream"
        ), reply


@pytest.fixture
async def open_socket():
    """open_socket(token, via="subprotocol"|"query", since=None, origin=ORIGIN) -> Socket."""
    opened: list[Socket] = []

    async def open_(token=None, *, via="subprotocol", since=None, origin=ORIGIN):
        query, subprotocols = {}, None
        if token is not None and via == "subprotocol":
            subprotocols = ["bearer", token]
        elif token is not None:
            query["token"] = token
        if since is not None:
            query["since"] = since
        path = "/ws/" + (f"?{urlencode(query)}" if query else "")
        headers = [HOST, origin] if origin else [HOST]
        socket = Socket(WebsocketCommunicator(application, path, headers, subprotocols))
        opened.append(socket)
        socket.connected, socket.subprotocol_or_code = await socket.comm.connect()
        return socket

    yield open_
    # Concurrently: channels_redis sometimes takes up to the communicator's 1 s
    # timeout to let go of a cancelled receive, after the consumer has cleaned up.
    await asyncio.gather(*(socket.comm.disconnect() for socket in opened))
