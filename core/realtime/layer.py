"""Sending many (group, message) pairs to the channel layer in a few round trips.

Channels has no bulk send (channels_redis issue #399; its draft PR #400 sends many
messages to one group, not one message to each of many groups), and
``RedisChannelLayer.group_send`` costs four round trips per group (trim, read
members, trim channels, push) or two for a group nobody is in. For a broadcast to
thousands of users that is thousands of sequential round trips.

``group_send_many`` does the same work per shard and per call: one pipeline
trimming and reading the members of every group, then one Lua call pushing every
message onto its channels' queues (trim, capacity check, push, expire: what
``group_send``'s own script does). The queued messages are built by the layer's
own ``_map_channel_keys_to_connection`` and serializer, so receivers see exactly
what ``group_send`` would have queued. Messages for one queue get increasing
scores in the given order, so a socket receives its messages in that order.

That reaches into channels_redis internals (pinned in requirements.txt); the
socket tests in tests/realtime fail if they change. Any other layer (the
in-memory one) gets plain ``group_send`` calls, one after the other.
"""

import logging
import time
from collections import defaultdict

from channels_redis.core import RedisChannelLayer

logger = logging.getLogger(__name__)

# KEYS: a channel queue per message (a key may repeat). ARGV: expiry, trim bound,
# then capacity, score, message for each key.
_PUSH_SCRIPT = """
local expiry = ARGV[1]
local trimmed = {}
local over_capacity = 0
for i = 1, #KEYS do
    local key = KEYS[i]
    if not trimmed[key] then
        redis.call('ZREMRANGEBYSCORE', key, 0, ARGV[2])
        trimmed[key] = true
    end
    local at = 2 + (i - 1) * 3
    if redis.call('ZCOUNT', key, '-inf', '+inf') < tonumber(ARGV[at + 1]) then
        redis.call('ZADD', key, ARGV[at + 2], ARGV[at + 3])
        redis.call('EXPIRE', key, expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""

# Apart enough to stay distinct at today's epoch in a double (its step is ~2.4e-7).
_SCORE_STEP = 1e-6


async def group_send_many(layer, messages: list[tuple[str, dict]]) -> None:
    """``layer.group_send(group, message)`` for each pair, in order, in few round trips."""
    if not messages:
        return
    if not isinstance(layer, RedisChannelLayer):
        for group, message in messages:
            await layer.group_send(group, message)
        return
    for group, _ in messages:
        assert layer.require_valid_group_name(group), "Group name not valid"
    members = await _members(layer, list(dict.fromkeys(group for group, _ in messages)))
    queued: dict[int, list[tuple[bytes, int, bytes]]] = defaultdict(list)
    for group, message in messages:
        channels = members[group]
        if not channels:
            continue
        by_connection, payloads, capacities = layer._map_channel_keys_to_connection(
            channels, message
        )
        for index, keys in by_connection.items():
            queued[index].extend((key, capacities[key], payloads[key]) for key in keys)
    for index, entries in queued.items():
        await _push(layer, index, entries)


async def _members(layer, groups: list[str]) -> dict[str, list[str]]:
    by_shard: dict[int, list[str]] = defaultdict(list)
    for group in groups:
        by_shard[layer.consistent_hash(group)].append(group)
    members = {}
    stale_before = int(time.time()) - layer.group_expiry
    for index, shard_groups in by_shard.items():
        pipe = layer.connection(index).pipeline(transaction=False)
        for group in shard_groups:
            key = layer._group_key(group)
            pipe.zremrangebyscore(key, min=0, max=stale_before)
            pipe.zrange(key, 0, -1)
        replies = await pipe.execute()
        for group, names in zip(shard_groups, replies[1::2], strict=True):
            members[group] = [name.decode("utf8") for name in names]
    return members


async def _push(layer, index: int, entries: list[tuple[bytes, int, bytes]]) -> None:
    now = time.time()
    args = [int(layer.expiry), int(now) - int(layer.expiry)]
    for position, (_, capacity, payload) in enumerate(entries):
        args += [capacity, repr(now + position * _SCORE_STEP), payload]
    keys = [key for key, _, _ in entries]
    over_capacity = await layer.connection(index).eval(_PUSH_SCRIPT, len(keys), *keys, *args)
    if over_capacity:
        logger.warning(
            "%s of %s messages dropped: channels over capacity", over_capacity, len(keys)
        )
