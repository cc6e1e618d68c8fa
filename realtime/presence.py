"""Who is online: one Redis key per online user, expiring by itself.

The key ``realtime:presence:<user id>`` is a sorted set of the user's socket
channel names scored by their expiry (Redis server time, ms). Each inbound frame
(at least every ``PRESENCE_TTL_SECONDS``/4) and each ``ping`` pushes the socket's
expiry ``PRESENCE_TTL_SECONDS`` ahead and re-arms the key's own TTL, so the
sockets of a crashed server drop out by themselves. A user is online while one
of their sockets has not expired. Without Redis an in-process table stands in.

Transitions seen by the gateway (a user's first live socket appears: online;
their last live socket closes: offline) are reported to listeners registered
with ``register_presence_listener(listener)``; ``listener(user_id, online)`` may
be sync (run through ``database_sync_to_async``) or async. A user whose sockets
expired silently gets no offline report, and may be reported online again when a
socket of theirs speaks up: listeners must be idempotent.
"""

import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterable

from channels.db import database_sync_to_async

from core import degraded

from .backend import KEY_PREFIX, REALTIME_STORE_PART, realtime_settings, redis_client, use_redis

logger = logging.getLogger(__name__)

PresenceListener = Callable[[object, bool], object]
_listeners: list[PresenceListener] = []

_NOW_MS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# Returns 1 when the user had no live socket before this one.
_TOUCH_SCRIPT = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if before == 0 then return 1 end
return 0
"""
)

# Returns 1 when this socket was the user's last live one.
_LEAVE_SCRIPT = (
    _NOW_MS
    + """
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then redis.call('DEL', KEYS[1]) end
if removed == 1 and left == 0 then return 1 end
return 0
"""
)

_ONLINE_SCRIPT = (
    _NOW_MS
    + """
local result = {}
for i, key in ipairs(KEYS) do
  result[i] = redis.call('ZCOUNT', key, '(' .. now, '+inf')
end
return result
"""
)


def _key(user_id) -> str:
    return f"{KEY_PREFIX}:presence:{user_id}"


def _ttl_ms() -> int:
    return int(realtime_settings()["PRESENCE_TTL_SECONDS"] * 1000)


def mark_online(user_id, channel_name: str) -> bool:
    """Add or refresh a socket; True when the user was offline before."""
    if use_redis():
        script = redis_client().register_script(_TOUCH_SCRIPT)
        return bool(script(keys=[_key(user_id)], args=[channel_name, _ttl_ms()]))
    return _memory.touch(str(user_id), channel_name, _ttl_ms() / 1000)


def mark_offline(user_id, channel_name: str) -> bool:
    """Remove a closed socket; True when it was the user's last live one."""
    if use_redis():
        script = redis_client().register_script(_LEAVE_SCRIPT)
        return bool(script(keys=[_key(user_id)], args=[channel_name]))
    return _memory.leave(str(user_id), channel_name)


def online_users(user_ids: Iterable) -> set:
    """The subset of ``user_ids`` (returned as given) with a live socket.

    Best effort: while Redis is out (``core.degraded``) nobody is online, so the
    callers that tell the absent (chat's offline notifications, push) tell
    everyone rather than fail the request. Nobody misses much by it: every socket
    is closed during the outage (4013) and its live events are dropped."""
    user_ids = list(user_ids)
    if not user_ids:
        return set()
    if use_redis():
        counts = degraded.guarded(
            REALTIME_STORE_PART, _redis_counts, user_ids, doing="reading presence"
        )
        if counts is None:
            return set()
    else:
        counts = [_memory.count(str(uid)) for uid in user_ids]
    return {uid for uid, count in zip(user_ids, counts, strict=True) if count}


def _redis_counts(user_ids: list) -> list[int]:
    script = redis_client().register_script(_ONLINE_SCRIPT)
    return script(keys=[_key(uid) for uid in user_ids])


def is_online(user_id) -> bool:
    return bool(online_users([user_id]))


def register_presence_listener(listener: PresenceListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def unregister_presence_listener(listener: PresenceListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


async def report_transition(user_id, online: bool) -> None:
    for listener in list(_listeners):
        try:
            if inspect.iscoroutinefunction(listener):
                await listener(user_id, online)
            else:
                await database_sync_to_async(listener)(user_id, online)
        except Exception:
            logger.exception("Presence listener %r failed", listener)


class _MemoryPresence:
    def __init__(self):
        self._lock = threading.Lock()
        self._sockets: dict[str, dict[str, float]] = {}

    def _live(self, user_id: str, now: float) -> dict[str, float]:
        sockets = self._sockets.get(user_id, {})
        live = {name: expiry for name, expiry in sockets.items() if expiry > now}
        if live:
            self._sockets[user_id] = live
        else:
            self._sockets.pop(user_id, None)
        return live

    def touch(self, user_id: str, channel_name: str, ttl: float) -> bool:
        now = time.monotonic()
        with self._lock:
            was_offline = not self._live(user_id, now)
            self._sockets.setdefault(user_id, {})[channel_name] = now + ttl
            return was_offline

    def leave(self, user_id: str, channel_name: str) -> bool:
        now = time.monotonic()
        with self._lock:
            removed = self._sockets.get(user_id, {}).pop(channel_name, None) is not None
            return removed and not self._live(user_id, now)

    def count(self, user_id: str) -> int:
        with self._lock:
            return len(self._live(user_id, time.monotonic()))


_memory = _MemoryPresence()
