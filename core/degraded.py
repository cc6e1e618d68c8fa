"""Running on without Redis: telling an outage apart, and saying so without a flood.

Redis backs the cache, the throttles, the channel layer, the realtime event log and
presence. None of them holds data that only Redis has, so when it stops answering
each part degrades instead of failing the request: throttles let requests through,
the cache is a miss and skips its writes, publishes are dropped (resume heals:
`?since=` answers `resync.required` when the log cannot cover the gap), sockets
are closed with code 4013 (server unavailable, reconnect with `?since=`), and
`/ready/` names the part.

- `is_outage(exc)`: True for the errors an unreachable or hung Redis raises
  (connection refused or reset, timeouts, a server still loading its data), on
  the sync client and the asyncio one alike. A Redis that answers with an error
  (a script bug, a wrong type) is not an outage: that stays a bug.
- `report(part, exc)`: one WARNING per part per `REDIS_OUTAGE_LOG_INTERVAL_SECONDS`
  (the first failure at once, then a count of the ones in between), and an INFO
  line when the part answers again (`recovered(part)`).
- `available(part)`: False for `REDIS_OUTAGE_BACKOFF_SECONDS` after a failure, so
  during an outage a request does not wait for a connect timeout on every call;
  after that, the next call tries Redis again.

The timeouts that bound a single attempt are settings too (`REDIS_SOCKET_TIMEOUT`,
`REDIS_CONNECT_TIMEOUT`), applied to every Redis client in config/settings.py.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass

import redis.exceptions
from django.conf import settings

logger = logging.getLogger("core.degraded")


class Unavailable(Exception):
    """Raised instead of calling Redis while a part backs off after a failure."""

    def __init__(self, part: str):
        super().__init__(f"{part} is unavailable (backing off after a failure)")
        self.part = part


# redis-py raises these for both clients; BusyLoadingError is a ConnectionError.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    Unavailable,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,  # OSError subclasses: refused, reset, aborted
    TimeoutError,  # also asyncio.TimeoutError
    asyncio.TimeoutError,
)


def is_outage(exc: BaseException) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


@dataclass
class _State:
    down_since: float | None = None
    retry_at: float = 0.0
    last_logged: float | None = None
    suppressed: int = 0


_states: dict[str, _State] = {}
_lock = threading.RLock()


def _state(part: str) -> _State:
    state = _states.get(part)
    if state is None:
        with _lock:
            state = _states.setdefault(part, _State())
    return state


def _log_interval() -> float:
    return float(getattr(settings, "REDIS_OUTAGE_LOG_INTERVAL_SECONDS", 60))


def _backoff() -> float:
    return float(getattr(settings, "REDIS_OUTAGE_BACKOFF_SECONDS", 1))


def available(part: str) -> bool:
    """False while `part` failed less than REDIS_OUTAGE_BACKOFF_SECONDS ago."""
    state = _states.get(part)
    return state is None or state.down_since is None or time.monotonic() >= state.retry_at


def report(part: str, exc: BaseException, *, doing: str = "") -> None:
    """Note that `part` is unreachable; log a WARNING unless one was logged lately."""
    now = time.monotonic()
    with _lock:
        state = _state(part)
        if state.down_since is None:
            state.down_since = now
        # Only a real attempt pushes the next one back: a call skipped while backing
        # off (Unavailable) must not, or steady traffic would never try Redis again.
        if not isinstance(exc, Unavailable):
            state.retry_at = now + _backoff()
        if state.last_logged is not None and now - state.last_logged < _log_interval():
            state.suppressed += 1
            return
        suppressed, state.suppressed, state.last_logged = state.suppressed, 0, now
    more = f" ({suppressed} more failures since the last warning)" if suppressed else ""
    what = f" while {doing}" if doing else ""
    logger.warning(
        "Redis unavailable for %s%s, degrading: %s: %s%s",
        part,
        what,
        type(exc).__name__,
        exc,
        more,
    )


def recovered(part: str) -> None:
    """`part` answered: end its outage (logged once) and its backoff."""
    state = _states.get(part)
    if state is None or state.down_since is None:
        return
    with _lock:
        if state.down_since is None:
            return
        lasted = time.monotonic() - state.down_since
        suppressed = state.suppressed
        state.down_since, state.last_logged, state.suppressed, state.retry_at = None, None, 0, 0.0
    logger.info(
        "Redis available again for %s after %.1f s (%s failures not logged one by one)",
        part,
        lasted,
        suppressed,
    )


def is_down(part: str) -> bool:
    state = _states.get(part)
    return state is not None and state.down_since is not None


def reset() -> None:
    """Forget every outage (tests)."""
    with _lock:
        _states.clear()


def guarded(part: str, func, /, *args, fallback=None, doing: str = "", **kwargs):
    """`func(*args, **kwargs)`, or `fallback` when Redis is out (reported) or `part`
    is backing off after a failure. Any other error propagates."""
    if not available(part):
        return fallback
    try:
        result = func(*args, **kwargs)
    except OUTAGE_ERRORS as exc:
        report(part, exc, doing=doing)
        return fallback
    recovered(part)
    return result


async def aguarded(part: str, func, /, *args, fallback=None, doing: str = "", **kwargs):
    """`guarded` for a coroutine function."""
    if not available(part):
        return fallback
    try:
        result = await func(*args, **kwargs)
    except OUTAGE_ERRORS as exc:
        report(part, exc, doing=doing)
        return fallback
    recovered(part)
    return result
