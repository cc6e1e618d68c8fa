"""Throttles: DRF's, cache-backed (Redis in production).

Views opt into a stricter scope with `throttle_scope = "login"` etc.; the rates
live in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle


class CurrentRatesMixin:
    """Read the rates when a request is throttled, not when DRF is imported, so a
    changed setting (override_settings in tests) takes effect."""

    @property
    def THROTTLE_RATES(self):
        return api_settings.DEFAULT_THROTTLE_RATES


class AnonDefaultThrottle(CurrentRatesMixin, AnonRateThrottle):
    scope = "anon"


class UserDefaultThrottle(CurrentRatesMixin, UserRateThrottle):
    scope = "user"


class ScopedThrottle(CurrentRatesMixin, ScopedRateThrottle):
    """Per-view scope, keyed by user id or, for anonymous callers, by address."""
