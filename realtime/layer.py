"""The channel layer: channels_redis' pub/sub layer, made safe to build resume on.

Why pub/sub and not ``channels_redis.core.RedisChannelLayer``: the core layer
queues one entry per receiving socket and a server pops them one round trip at a
time from one queue per process, capped by ``capacity`` across all its sockets.
A message to a group of 500 people with two devices each is 1,000 entries; a
server holding those sockets drained ~750 a second and dropped the rest
(bench/chat_fanout.py, BENCHMARKS.md). With pub/sub a server subscribes once
per group it has sockets in (``user.<id>``, ``stream.*``), a send is one PUBLISH
per group whoever is in it, Redis pushes it to each subscribed server, and the
server hands it to its local sockets. Membership lives in the server holding
the socket and ends with it: nothing expires, nothing goes stale.

What channels_redis' ``RedisPubSubChannelLayer`` does not do, added here:

- **A subscription is confirmed before ``group_add`` returns.** The gateway
  joins ``user.<id>`` and then reads the event log for ``?since=``; an event
  published between the two must arrive live (and be dropped by id), so the
  SUBSCRIBE has to be in effect, not merely sent.
- **Losing the subscriber connection is told.** Pub/sub delivers to whoever is
  subscribed at that instant: while a server's connection is down (Redis
  restarted, or Redis cut a subscriber that fell behind its output buffer), its
  sockets miss events. Every local channel then gets ``realtime.layer_lost``;
  the gateway closes its socket with 4013 and the client reconnects with
  ``?since=``, which replays what was missed from the event log.
- **``group_send_many``**: many (group, message) pairs as one PUBLISH per shard
  of a bundle, which every server receives once and splits among its own
  sockets, instead of one PUBLISH per group (Channels has no bulk send:
  channels_redis issue #399).

It reaches into channels_redis internals (pinned in requirements.txt);
tests/realtime fail if they change. Any other layer (the in-memory one) gets
plain ``group_send`` calls, one after the other.
"""

import asyncio
import logging
from collections import defaultdict

import msgpack
from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close, decode_hosts
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

LAYER_LOST_MESSAGE = "realtime.layer_lost"
# How long a SUBSCRIBE may take to be confirmed before the caller is told Redis
# is not answering (a socket then closes with 4013, like any Redis outage).
SUBSCRIBE_TIMEOUT_SECONDS = 5.0
# A bundle is cut at about this size: one reply past Redis's pub/sub output
# buffer limit (32 MB hard by default) would cut every subscriber off at once.
BUNDLE_MAX_BYTES = 512 * 1024
# How often the receiving loop looks again while nothing is subscribed.
_POLL_SECONDS = 0.1


class PubSubChannelLayer(RedisPubSubChannelLayer):
    """``RedisPubSubChannelLayer`` with confirmed subscriptions, loss notices and
    bulk sends (module docstring)."""

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
            return layer

    async def publish_many(self, messages: list[tuple[str, dict]]) -> None:
        await self._get_layer().publish_many(messages)


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, hosts=None, *args, **kwargs):
        super().__init__(hosts, *args, **kwargs)
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]

    @property
    def bundle_channel(self) -> str:
        return f"{self.prefix}__bundle__"

    async def group_add(self, group, channel):
        await super().group_add(group, channel)
        # Bundles (publish_many) for this group's shard arrive on its bundle channel.
        await self._get_shard(self._get_group_channel_name(group)).subscribe(self.bundle_channel)

    async def publish_many(self, messages: list[tuple[str, dict]]) -> None:
        """One PUBLISH per shard of a bundle naming each message's group: every
        server subscribed to the shard gets it once and hands each message to its
        own sockets in that group. Redis then delivers one message per server, not
        one per user (bench/chat_fanout.py: the per-user PUBLISHes cost the
        receiving server more than anything else it did)."""
        by_shard: dict[int, list[list[tuple[str, bytes]]]] = defaultdict(lambda: [[]])
        sizes: dict[int, int] = defaultdict(int)
        serialize = self.channel_layer.serialize
        for group, message in messages:
            name = self._get_group_channel_name(group)
            payload = serialize(message)
            key = id(self._get_shard(name))
            if by_shard[key][-1] and sizes[key] + len(payload) > BUNDLE_MAX_BYTES:
                by_shard[key].append([])
                sizes[key] = 0
            by_shard[key][-1].append((name, payload))
            sizes[key] += len(payload)
        shards = {id(shard): shard for shard in self._shards}
        for key, bundles in by_shard.items():
            for bundle in bundles:
                payload = msgpack.packb(bundle)
                try:
                    await shards[key].publish(self.bundle_channel, payload)
                except RedisConnectionError:
                    # Once more on a fresh connection: after Redis restarted, each
                    # pooled connection fails once ("Connection closed by server").
                    # A bundle sent twice is harmless (sockets drop logged events
                    # they have by id); one not sent waits for the next event.
                    await shards[key].publish(self.bundle_channel, payload)

    def tell_local(self, group: str, message: dict) -> None:
        """Hand `message` to this process's channels in `group`, without Redis."""
        payload = self.channel_layer.serialize(message)
        for channel_name in self.groups.get(self._get_group_channel_name(group), ()):
            queue = self.channels.get(channel_name)
            if queue is not None:
                queue.put_nowait(payload)

    def tell_lost(self) -> None:
        """Every local channel gets ``realtime.layer_lost`` (queued after what it
        has already received, so nothing before the loss is reordered)."""
        notice = self.channel_layer.serialize({"type": LAYER_LOST_MESSAGE})
        for queue in list(self.channels.values()):
            queue.put_nowait(notice)


class _Shard(RedisSingleShardConnection):
    def __init__(self, host, channel_layer):
        super().__init__(host, channel_layer)
        self._confirming: dict[str, asyncio.Future] = {}
        self._watched = None

    def _receive_message(self, message):
        if message is None:
            return
        name = message["channel"]
        name = name.decode() if isinstance(name, bytes) else name
        if name != self.channel_layer.bundle_channel:
            super()._receive_message(message)
            return
        groups, channels = self.channel_layer.groups, self.channel_layer.channels
        for group_name, payload in msgpack.unpackb(message["data"]):
            for channel_name in groups.get(group_name, ()):
                queue = channels.get(channel_name)
                if queue is not None:
                    queue.put_nowait(payload)

    async def subscribe(self, channel):
        # Sent under the lock, confirmed outside it: many sockets connecting at
        # once pipeline their SUBSCRIBEs instead of waiting for each other's reply.
        async with self._lock:
            confirmed = self._confirming.get(channel)
            if confirmed is None:
                if channel in self._subscribed_to:
                    return
                self._ensure_redis()
                self._ensure_receiver()
                confirmed = asyncio.get_running_loop().create_future()
                self._confirming[channel] = confirmed
                try:
                    await self._pubsub.subscribe(channel)
                except BaseException:
                    del self._confirming[channel]
                    raise
                self._subscribed_to.add(channel)
                self._watch_connection()
        try:
            await asyncio.wait_for(asyncio.shield(confirmed), SUBSCRIBE_TIMEOUT_SECONDS)
        except TimeoutError:
            raise RedisTimeoutError(f"SUBSCRIBE {channel} was not confirmed") from None

    def _watch_connection(self) -> None:
        # redis-py reconnects a pub/sub connection by itself and subscribes again:
        # what was published meanwhile is gone, so a reconnect is a loss.
        connection = self._pubsub.connection
        if connection is not None and connection is not self._watched:
            connection.register_connect_callback(self._reconnected)
            self._watched = connection

    async def _reconnected(self, connection) -> None:
        logger.warning("The channel layer's subscriber connection to Redis was re-established")
        self.channel_layer.tell_lost()

    async def _do_receiving(self):
        while True:
            try:
                if self._pubsub is None or not self._pubsub.subscribed:
                    await asyncio.sleep(_POLL_SECONDS)
                    continue
                # Blocking: a read timed out halfway through a large message
                # (a bundle) would leave the connection mid-reply.
                message = await self._pubsub.get_message(timeout=None)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    self._confirm(message["channel"])
                elif message["type"] == "message":
                    self._receive_message(message)
                # An "unsubscribe" reply carries a count, not a message: handed on,
                # it reached a closing socket's receive as an int (a TypeError).
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as exc:
                logger.warning("The channel layer lost its subscriber connection: %r", exc)
                self.channel_layer.tell_lost()
                await asyncio.sleep(1)

    def _confirm(self, channel) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        confirmed = self._confirming.pop(name, None)
        if confirmed is not None and not confirmed.done():
            confirmed.set_result(None)


async def tell_local(layer, messages: list[tuple[str, dict]]) -> None:
    """Each (group, message) to this process's sockets in the group only: works
    while Redis is out (the in-memory layer is local anyway)."""
    if isinstance(layer, PubSubChannelLayer):
        local = layer._get_layer()
        for group, message in messages:
            local.tell_local(group, message)
        return
    for group, message in messages:
        await layer.group_send(group, message)


async def group_send_many(layer, messages: list[tuple[str, dict]]) -> None:
    """``layer.group_send(group, message)`` for each pair, in order, in few round trips."""
    if not messages:
        return
    if isinstance(layer, PubSubChannelLayer):
        await layer.publish_many(messages)
        return
    for group, message in messages:
        await layer.group_send(group, message)
