"""Capped per-user log of the events sent to a user, for ``?since=<id>`` resume.

With Redis: one stream per user (``XADD ... MAXLEN ~ EVENT_LOG_MAXLEN``, the key
expiring ``EVENT_LOG_TTL_SECONDS`` after the last event). Ids are the stream ids,
``<ms>-<seq>``, increasing per user. Without Redis an in-process log with the
same interface and id format stands in (single process, like the in-memory
channel layer).

Each entry records the id of the entry before it (``prev``). Trimming only ever
removes the oldest entries, so a client's ``since`` can be resumed exactly when
``since`` is still in the log, or when it is the ``prev`` of the oldest entry
kept; anything else means events were trimmed (or the id is not one of ours):
``read_since`` answers None and the client resyncs over REST.
"""

import re
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from .backend import KEY_PREFIX, realtime_settings, redis_client, use_redis

_ID_RE = re.compile(r"^(\d{1,20})-(\d{1,20})$")
_ZERO_ID = "0-0"

# Atomic so that `prev` is exactly the entry added before this one.
_APPEND_SCRIPT = """
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = '0-0'
if #last > 0 then prev = last[1][1] end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
    'prev', prev, 'type', ARGV[2], 'ts', ARGV[3], 'data', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return id
"""


@dataclass(frozen=True)
class LoggedEvent:
    id: str
    type: str
    ts: str
    data_json: str


def parse_event_id(value) -> tuple[int, int] | None:
    match = _ID_RE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    parsed = int(match[1]), int(match[2])
    return parsed if max(parsed) < 2**64 else None


def append(user_ids: Sequence, *, event_type: str, ts: str, data_json: str) -> list[str]:
    """Append one event to each user's log; returns the new ids, in ``user_ids`` order."""
    if not user_ids:
        return []
    if use_redis():
        return _redis_append(user_ids, event_type, ts, data_json)
    return [_memory_log.append(str(uid), event_type, ts, data_json) for uid in user_ids]


def read_since(user_id, since: str) -> list[LoggedEvent] | None:
    """Events after ``since``, oldest first; None when they cannot all be given."""
    if parse_event_id(since) is None:
        return None
    if use_redis():
        return _redis_read_since(str(user_id), since)
    return _memory_log.read_since(str(user_id), since)


# --- Redis --------------------------------------------------------------------


def _log_key(user_id) -> str:
    return f"{KEY_PREFIX}:log:{user_id}"


def _redis_append(user_ids, event_type, ts, data_json) -> list[str]:
    conf = realtime_settings()
    client = redis_client()
    script = client.register_script(_APPEND_SCRIPT)
    pipe = client.pipeline(transaction=False)
    for uid in user_ids:
        script(
            keys=[_log_key(uid)],
            args=[
                conf["EVENT_LOG_MAXLEN"],
                event_type,
                ts,
                data_json,
                conf["EVENT_LOG_TTL_SECONDS"],
            ],
            client=pipe,
        )
    return list(pipe.execute())


def _redis_read_since(user_id: str, since: str) -> list[LoggedEvent] | None:
    key = _log_key(user_id)
    pipe = redis_client().pipeline(transaction=True)
    pipe.xrange(key, "-", "+", count=1)
    pipe.xrange(key, since, since)
    pipe.xrange(key, f"({since}", "+")
    oldest, exact, after = pipe.execute()
    if not oldest:
        return None
    if not exact and oldest[0][1].get("prev") != since:
        return None
    return [
        LoggedEvent(id=entry_id, type=f["type"], ts=f["ts"], data_json=f["data"])
        for entry_id, f in after
    ]


# --- In-process fallback --------------------------------------------------------


@dataclass
class _Entry:
    event: LoggedEvent
    prev: str


class _MemoryLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._logs: dict[str, deque[_Entry]] = {}
        self._last_id: dict[str, tuple[int, int]] = {}
        self._expires: dict[str, float] = {}

    def _next_id(self, user_id: str) -> str:
        ms = int(time.time() * 1000)
        last_ms, last_seq = self._last_id.get(user_id, (0, 0))
        new = (last_ms, last_seq + 1) if ms <= last_ms else (ms, 0)
        self._last_id[user_id] = new
        return f"{new[0]}-{new[1]}"

    def _drop_if_expired(self, user_id: str) -> None:
        if self._expires.get(user_id, float("inf")) <= time.monotonic():
            self._logs.pop(user_id, None)
            self._expires.pop(user_id, None)

    def append(self, user_id: str, event_type: str, ts: str, data_json: str) -> str:
        conf = realtime_settings()
        with self._lock:
            self._drop_if_expired(user_id)
            log = self._logs.setdefault(user_id, deque())
            event_id = self._next_id(user_id)
            prev = log[-1].event.id if log else _ZERO_ID
            log.append(_Entry(LoggedEvent(event_id, event_type, ts, data_json), prev))
            while len(log) > max(1, conf["EVENT_LOG_MAXLEN"]):
                log.popleft()
            self._expires[user_id] = time.monotonic() + conf["EVENT_LOG_TTL_SECONDS"]
            return event_id

    def read_since(self, user_id: str, since: str) -> list[LoggedEvent] | None:
        with self._lock:
            self._drop_if_expired(user_id)
            log = list(self._logs.get(user_id, ()))
        if not log:
            return None
        ids = [entry.event.id for entry in log]
        if since in ids:
            return [entry.event for entry in log[ids.index(since) + 1 :]]
        if log[0].prev == since:
            return [entry.event for entry in log]
        return None


_memory_log = _MemoryLog()
