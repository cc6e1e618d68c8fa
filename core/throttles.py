"""Throttles: DRF's, with a sliding-window counter on Redis.

Views opt into a stricter scope with `throttle_scope = "login"` etc.; the rates
live in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].

DRF's SimpleRateThrottle keeps a pickled list of timestamps per client and does
a cache get and a cache set per request: two round trips, a payload that grows
with the rate, and a race in which parallel requests all read the same history
and all pass. On Redis, SlidingWindowMixin replaces that with two integer
counters checked and bumped by one Lua script: atomic, one round trip. Any other
cache (LocMem when no Redis is configured) keeps DRF's implementation.

When Redis does not answer, a throttle lets the request through (fails open) and
says so in a rate-limited WARNING (core.degraded): a request that needs only
Postgres is served, unthrottled, until Redis is back.
"""

import hashlib
import math

from django.core.cache.backends.redis import RedisCache
from django.utils.connection import ConnectionProxy
from redis.exceptions import NoScriptError
from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

from core import degraded
from core.identifiers import fold

# KEYS: current window's counter, previous window's counter.
# ARGV: allowed requests, window length (s), seconds left in the current window.
# The previous window counts in proportion to how much of it still overlaps the
# sliding window: previous * left / duration + current + 1 <= limit, multiplied
# through by duration. A refused request is not counted, as in DRF, so a client
# retrying while throttled does not push its own release further away.
_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[1])
local duration = tonumber(ARGV[2])
local left = tonumber(ARGV[3])
if previous * left + (current + 1) * duration > limit * duration then
    return {0, current, previous}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then
    redis.call('EXPIRE', KEYS[1], 2 * duration)
end
return {1, current, previous}
"""
# EVALSHA names a script by its SHA-1 (Redis's choice, not a security use).
_SCRIPT_SHA = hashlib.sha1(_SCRIPT.encode(), usedforsecurity=False).hexdigest()


def _backend(cache):
    """The cache object itself: DRF's `cache` is the `default` alias's proxy."""
    if isinstance(cache, ConnectionProxy):
        return cache._connections[cache._alias]
    return cache


THROTTLE_PART = "throttles"


def _run_script(cache, key, args):
    client = cache._cache.get_client(key, write=True)
    try:
        return client.evalsha(_SCRIPT_SHA, *args)
    except NoScriptError:  # first call on this server, or its script cache was flushed
        return client.eval(_SCRIPT, *args)


class SlidingWindowMixin(SimpleRateThrottle):
    """Sliding-window counter on Redis in one atomic round trip; DRF elsewhere.

    Each client has a counter per fixed window (keyed by window number, expiring
    after two windows); a request is allowed when the previous window's count,
    weighted by the share of it the sliding window still covers, plus the
    current count stays within the rate. No pickled history, no read-then-write
    race.

    List it after the DRF class (`class X(AnonRateThrottle, SlidingWindowMixin)`)
    so that class's own `allow_request` (ScopedRateThrottle picks the view's
    scope there) runs first and reaches this one through super().
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        mro = cls.__mro__
        skipped = mro[mro.index(SlidingWindowMixin) + 1 : mro.index(SimpleRateThrottle)]
        if any("allow_request" in vars(klass) for klass in skipped):
            raise TypeError(f"{cls.__name__}: list SlidingWindowMixin after the DRF throttle")

    def allow_request(self, request, view):
        self.window_state = None
        cache = _backend(self.cache)
        if not isinstance(cache, RedisCache):
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True

        self.now = self.timer()
        window, elapsed = divmod(self.now, self.duration)
        left = self.duration - elapsed
        current_key = cache.make_and_validate_key(f"{self.key}:{int(window)}")
        previous_key = cache.make_and_validate_key(f"{self.key}:{int(window) - 1}")
        args = (2, current_key, previous_key, self.num_requests, self.duration, repr(left))
        counted = degraded.guarded(
            THROTTLE_PART, _run_script, cache, current_key, args, doing="throttling"
        )
        if counted is None:  # Redis is out: fail open.
            return True
        allowed, current, previous = counted
        self.window_state = (int(current), int(previous), left)
        return bool(allowed)

    def wait(self):
        """Seconds until a request would pass again if none is made meanwhile
        (DRF sends it as Retry-After): at least 1."""
        if self.window_state is None:
            return super().wait()
        current, previous, left = self.window_state
        limit, duration = self.num_requests, self.duration
        if limit < 1:
            return duration
        if current < limit and not previous:
            return 1  # Not throttled: nothing to wait for.
        if current < limit:
            # Passes later in this window, once the previous window weighs less:
            # previous * (left - t) + (current + 1) * duration <= limit * duration.
            seconds = left - (limit - current - 1) * duration / previous
        else:
            # Passes only in the next window, where this window's count is the
            # previous one: current * (duration - t) + duration <= limit * duration.
            seconds = left + duration - (limit - 1) * duration / current
        return max(1, math.ceil(seconds))


class CurrentRatesMixin:
    """Read the rates when a request is throttled, not when DRF is imported, so a
    changed setting (override_settings in tests) takes effect."""

    @property
    def THROTTLE_RATES(self):
        return api_settings.DEFAULT_THROTTLE_RATES


class AnonDefaultThrottle(CurrentRatesMixin, AnonRateThrottle, SlidingWindowMixin):
    scope = "anon"


class UserDefaultThrottle(CurrentRatesMixin, UserRateThrottle, SlidingWindowMixin):
    scope = "user"


class ScopedThrottle(CurrentRatesMixin, ScopedRateThrottle, SlidingWindowMixin):
    """Per-view scope, keyed by user id or, for anonymous callers, by address."""


class EmailScopedThrottle(CurrentRatesMixin, SlidingWindowMixin):
    """Per-view scope keyed by the email address in the body, whatever the caller's
    address: a view sets `email_throttle_scope = "login_account"`. Rotating
    addresses (or forged X-Forwarded-For) does not get past it. Without an email
    in the body (the serializer will refuse it) nothing is counted."""

    def __init__(self):
        # The scope is the view's, known only in allow_request (as ScopedRateThrottle).
        pass

    def allow_request(self, request, view):
        self.scope = getattr(view, "email_throttle_scope", None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        data = request.data
        email = data.get("email") if isinstance(data, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None
        # Hashed: any text makes a valid key, and no address sits in the cache in clear.
        # Folded as the account lookup folds it: look-alikes share one bucket.
        digest = hashlib.sha256(fold(email.strip()).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}
