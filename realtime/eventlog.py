"""Capped per-user log of the events sent to a user, for ``?since=<id>`` resume.

With Redis: one stream per user (``XADD ... MAXLEN ~ EVENT_LOG_MAXLEN``, the key
expiring ``EVENT_LOG_TTL_SECONDS`` after the last event). Ids are the stream ids,
``<ms>-<seq>``, increasing per user. Any number of events, to any users, are
appended by one Lua call (``append_many``), all or nothing. Without Redis an in-process log with the
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
# The `prev` of a log's first entry.
ZERO_ID = _ZERO_ID

# Appends one event per key (a key may repeat: its entries chain in order) and
# returns each new id with the id before it. All or nothing: the key types are
# checked before the first write, so a key that is not a stream fails the call
# with nothing appended.
# Atomic, so that `prev` is exactly the entry added before this one.
_APPEND_SCRIPT = """
for i = 1, #KEYS do
    local kind = redis.call('TYPE', KEYS[i])['ok']
    if kind ~= 'stream' and kind ~= 'none' then
        return redis.error_reply('WRONGTYPE event log ' .. KEYS[i] .. ' is a ' .. kind)
    end
end
local ids = {}
for i = 1, #KEYS do
    local last = redis.call('XREVRANGE', KEYS[i], '+', '-', 'COUNT', 1)
    local prev = '0-0'
    if #last > 0 then prev = last[1][1] end
    local at = 2 + (i - 1) * 3
    ids[i] = {redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[1], '*',
        'prev', prev, 'type', ARGV[at + 1], 'ts', ARGV[at + 2], 'data', ARGV[at + 3]), prev}
    redis.call('EXPIRE', KEYS[i], ARGV[2])
end
return ids
"""


@dataclass(frozen=True)
class NewEvent:
    user_id: object
    event_type: str
    ts: str
    data_json: str


@dataclass(frozen=True)
class Appended:
    """A new entry's id and the id of the entry before it in the same log
    (``"0-0"`` for the first): a socket that last saw ``prev`` has missed nothing."""

    id: str
    prev: str


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
    return append_many([NewEvent(uid, event_type, ts, data_json) for uid in user_ids])


def append_many(events: Sequence[NewEvent]) -> list[str]:
    """Append each event to its user's log, in order; returns the new ids in that order.

    A user may appear more than once: their events chain in the given order. On
    Redis this is one call, all or nothing.
    """
    return [entry.id for entry in append_chained(events)]


def append_chained(events: Sequence[NewEvent]) -> list[Appended]:
    """``append_many``, answering each new id with the id logged before it."""
    if not events:
        return []
    if use_redis():
        return _redis_append(events)
    return [_memory_log.append(str(e.user_id), e.event_type, e.ts, e.data_json) for e in events]


def forget(user_ids: Sequence) -> None:
    """Delete these users' logs: their next resume answers ``resync.required``."""
    if not user_ids:
        return
    if use_redis():
        redis_client().delete(*[_log_key(uid) for uid in user_ids])
    else:
        _memory_log.forget([str(uid) for uid in user_ids])


def read_since(user_id, since: str) -> list[LoggedEvent] | None:
    """Events after ``since``, oldest first; None when they cannot all be given."""
    return read_since_or_newest(user_id, since)[0]


def read_since_or_newest(user_id, since: str) -> tuple[list[LoggedEvent] | None, str]:
    """``read_since`` and, read at the same instant, the newest id in the log
    (``"0-0"`` when it is empty). A socket told to resync starts again from that
    id: what was logged up to it the client refetches, what comes after it must
    reach the socket (a later event naming an unseen ``prev`` is then noticed)."""
    if use_redis():
        return _redis_read_since(str(user_id), since)
    return _memory_log.read_since(str(user_id), since)


# --- Redis --------------------------------------------------------------------


def _log_key(user_id) -> str:
    return f"{KEY_PREFIX}:log:{user_id}"


def _redis_append(events: Sequence[NewEvent]) -> list[Appended]:
    conf = realtime_settings()
    client = redis_client()
    args = [conf["EVENT_LOG_MAXLEN"], conf["EVENT_LOG_TTL_SECONDS"]]
    for event in events:
        args += [event.event_type, event.ts, event.data_json]
    script = client.register_script(_APPEND_SCRIPT)
    pairs = script(keys=[_log_key(event.user_id) for event in events], args=args)
    return [Appended(id=event_id, prev=prev) for event_id, prev in pairs]


def _redis_read_since(user_id: str, since: str) -> tuple[list[LoggedEvent] | None, str]:
    key = _log_key(user_id)
    pipe = redis_client().pipeline(transaction=True)
    pipe.xrevrange(key, "+", "-", count=1)
    if parse_event_id(since) is None:
        return None, _newest(pipe.execute()[0])
    pipe.xrange(key, "-", "+", count=1)
    pipe.xrange(key, since, since)
    pipe.xrange(key, f"({since}", "+")
    newest, oldest, exact, after = pipe.execute()
    if not oldest:
        return None, _newest(newest)
    if not exact and oldest[0][1].get("prev") != since:
        return None, _newest(newest)
    events = [
        LoggedEvent(id=entry_id, type=f["type"], ts=f["ts"], data_json=f["data"])
        for entry_id, f in after
    ]
    return events, _newest(newest)


def _newest(entries) -> str:
    return entries[0][0] if entries else _ZERO_ID


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

    def append(self, user_id: str, event_type: str, ts: str, data_json: str) -> Appended:
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
            return Appended(id=event_id, prev=prev)

    def forget(self, user_ids: list[str]) -> None:
        with self._lock:
            for user_id in user_ids:
                self._logs.pop(user_id, None)
                self._expires.pop(user_id, None)

    def read_since(self, user_id: str, since: str) -> tuple[list[LoggedEvent] | None, str]:
        with self._lock:
            self._drop_if_expired(user_id)
            log = list(self._logs.get(user_id, ()))
        if not log:
            return None, _ZERO_ID
        newest = log[-1].event.id
        if parse_event_id(since) is None:
            return None, newest
        ids = [entry.event.id for entry in log]
        if since in ids:
            return [entry.event for entry in log[ids.index(since) + 1 :]], newest
        if log[0].prev == since:
            return [entry.event for entry in log], newest
        return None, newest


_memory_log = _MemoryLog()
