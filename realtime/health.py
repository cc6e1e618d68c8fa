"""The gateway's readiness checks, registered with `core.health` by the app."""

import asyncio
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core.health import CheckFailed

from .backend import redis_client, use_redis

CHANNEL_LAYER_TIMEOUT_SECONDS = 2.0


async def _channel_layer_round_trip() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel(prefix="ready-check")
    nonce = uuid.uuid4().hex
    await layer.send(channel, {"type": "ready.check", "nonce": nonce})
    message = await layer.receive(channel)
    if message.get("nonce") != nonce:
        raise RuntimeError("channel layer delivered a different message")


def check_channel_layer() -> None:
    async def bounded():
        await asyncio.wait_for(_channel_layer_round_trip(), CHANNEL_LAYER_TIMEOUT_SECONDS)

    async_to_sync(bounded)()


def check_realtime_store() -> None:
    """The Redis holding the sockets' event logs and presence (in-process without one)."""
    if use_redis() and not redis_client().ping():
        raise CheckFailed("the realtime store did not answer PING")
