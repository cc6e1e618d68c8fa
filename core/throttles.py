"""Throttles: DRF's, cache-backed (Redis in production).

Views opt into a stricter scope with `throttle_scope = "login"` etc.; the rates
live in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].
"""

from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle


class AnonDefaultThrottle(AnonRateThrottle):
    scope = "anon"


class UserDefaultThrottle(UserRateThrottle):
    scope = "user"


class ScopedThrottle(ScopedRateThrottle):
    """Per-view scope, keyed by user id or, for anonymous callers, by address."""
