"""The channel layer (realtime.layer) against the real Redis: the settings it
runs with, confirmed subscriptions, bulk sends, and a lost subscriber connection
turned into a close that makes the client resume."""

import asyncio
import json

import pytest
import redis.asyncio as aioredis
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from realtime import codes
from realtime.groups import user_group
from realtime.layer import PubSubChannelLayer, group_send_many
from realtime.publish import publish_to_users

from .conftest import access_token

REDIS = pytest.mark.requires_redis


@REDIS
async def test_the_layer_is_pub_sub_with_keepalive_and_a_large_pool():
    layer = get_channel_layer()
    assert isinstance(layer, PubSubChannelLayer)
    [host] = layer._get_layer()._shards
    # A subscriber connection that died silently is found by TCP keepalive.
    assert host.host["socket_keepalive"] is True
    # Many threads publish at once: more than redis-py's default 100 connections.
    assert host.host["max_connections"] >= 1000


@REDIS
async def test_group_add_returns_once_redis_has_the_subscription():
    """The gateway joins `user.<id>` and then reads the event log: an event
    published in between must arrive live, so the SUBSCRIBE must be in effect
    when group_add returns, not merely sent."""
    layer = get_channel_layer()
    observer = aioredis.from_url(settings.REDIS_URL)
    try:
        for n in range(20):
            channel = await layer.new_channel()
            group = f"test.confirmed.{n}"
            await layer.group_add(group, channel)
            name = layer._get_layer()._get_group_channel_name(group)
            [(_, subscribers)] = await observer.pubsub_numsub(name)
            assert subscribers == 1
    finally:
        await observer.aclose()
        await layer.flush()


@REDIS
async def test_group_send_many_is_one_round_trip_and_keeps_each_groups_order():
    layer = get_channel_layer()
    channels = {group: await layer.new_channel() for group in ("test.a", "test.b")}
    for group, channel in channels.items():
        await layer.group_add(group, channel)
    sends = [(group, {"type": "test.event", "n": n}) for n in range(50) for group in channels]
    try:
        await group_send_many(layer, sends)
        for group, channel in channels.items():
            got = [await asyncio.wait_for(layer.receive(channel), 2) for _ in range(50)]
            assert [m["n"] for m in got] == list(range(50)), group
    finally:
        await layer.flush()


@REDIS
@pytest.mark.django_db(transaction=True)
async def test_a_lost_subscriber_connection_closes_sockets_to_resume_what_they_missed(
    make_user, open_socket
):
    """Redis cutting the server's subscriber connection (a restart, or a
    subscriber over its output buffer) loses whatever was published meanwhile:
    every socket is closed with 4013 and its `?since=` resume replays it."""
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))
    await database_sync_to_async(publish_to_users)([user.pk], "test.before", {"n": 1})
    before = await socket.receive()
    [shard] = get_channel_layer()._get_layer()._shards
    host, port = shard._pubsub.connection._writer.get_extra_info("sockname")[:2]
    admin = aioredis.from_url(settings.REDIS_URL)
    try:
        # This server's subscriber connection only (other runs may share the Redis).
        assert await admin.client_kill_filter(_type="pubsub", addr=f"{host}:{port}") == 1
    finally:
        await admin.aclose()

    closed = await socket.comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": codes.CLOSE_SERVER_UNAVAILABLE}

    # Published while the socket was away: the resume replays it, once.
    await database_sync_to_async(publish_to_users)([user.pk], "test.missed", {"n": 2})
    back = await open_socket(access_token(user), since=before["id"])
    missed = await back.receive()
    assert (missed["type"], missed["data"]) == ("test.missed", {"n": 2})
    assert await back.comm.receive_nothing(timeout=0.2)
    # And live delivery works on the new subscription.
    await database_sync_to_async(publish_to_users)([user.pk], "test.after", {"n": 3})
    after = await back.receive()
    assert json.dumps(after["data"]) == '{"n": 3}'


@REDIS
@pytest.mark.django_db(transaction=True)
async def test_a_socket_leaves_the_servers_subscription_when_it_closes(make_user, open_socket):
    """Membership lives with the socket: nothing to expire or go stale in Redis."""
    user = await database_sync_to_async(make_user)()
    phone = await open_socket(access_token(user))
    laptop = await open_socket(access_token(user))
    loop_layer = get_channel_layer()._get_layer()
    name = loop_layer._get_group_channel_name(user_group(user.pk))
    observer = aioredis.from_url(settings.REDIS_URL)

    async def subscribers() -> int:
        return (await observer.pubsub_numsub(name))[0][1]

    try:
        assert await subscribers() == 1  # one subscription per server, not per socket
        await phone.comm.disconnect()
        assert await subscribers() == 1
        await laptop.comm.disconnect()
        # The UNSUBSCRIBE is sent as the socket closes; Redis applies it next.
        async with asyncio.timeout(2):
            while await subscribers():
                await asyncio.sleep(0.01)
    finally:
        await observer.aclose()


@REDIS
async def test_a_bundle_reaches_each_server_once_and_only_its_own_sockets_in_each_group():
    """Two servers (two layers), a third publishing: each socket gets what was sent
    to its groups, nothing else, however the bundle was split."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    servers = [PubSubChannelLayer(**config) for _ in range(3)]
    first, second, sender = servers
    alice_here = await first.new_channel()
    bob_there = await second.new_channel()
    alice_there = await second.new_channel()
    await first.group_add("test.bundle.alice", alice_here)
    await second.group_add("test.bundle.bob", bob_there)
    await second.group_add("test.bundle.alice", alice_there)
    try:
        await group_send_many(
            sender,
            [
                ("test.bundle.alice", {"type": "test.event", "n": 1}),
                ("test.bundle.bob", {"type": "test.event", "n": 2}),
                ("test.bundle.nobody", {"type": "test.event", "n": 3}),
                ("test.bundle.alice", {"type": "test.event", "n": 4}),
            ],
        )

        async def next_two(layer, channel):
            return [(await asyncio.wait_for(layer.receive(channel), 2))["n"] for _ in range(2)]

        assert await next_two(first, alice_here) == [1, 4]
        assert await next_two(second, alice_there) == [1, 4]
        assert (await asyncio.wait_for(second.receive(bob_there), 2))["n"] == 2
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(second.receive(bob_there), 0.2)
    finally:
        for layer in servers:
            await layer.flush()


@REDIS
async def test_a_large_send_goes_in_bundles_under_the_size_limit(monkeypatch):
    """A chunk of big events (a group's conversation with every participant in it)
    must not become one PUBLISH past Redis's output buffer limit for subscribers."""
    from realtime import layer as layer_module

    monkeypatch.setattr(layer_module, "BUNDLE_MAX_BYTES", 10_000)
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("test.big", channel)
    [shard] = layer._get_layer()._shards
    published: list[int] = []
    original = shard.publish

    async def publish(name, payload):
        published.append(len(payload))
        await original(name, payload)

    monkeypatch.setattr(shard, "publish", publish)
    try:
        big = [{"type": "test.event", "n": n, "pad": "x" * 3000} for n in range(20)]
        await group_send_many(layer, [("test.big", message) for message in big])
        got = [(await asyncio.wait_for(layer.receive(channel), 2))["n"] for _ in range(20)]
    finally:
        await layer.flush()
    assert got == list(range(20))
    assert len(published) > 1 and max(published) < 10_000 + 3_200
