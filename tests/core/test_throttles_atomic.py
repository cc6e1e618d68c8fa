"""core.throttles on Redis: one atomic round trip, a sliding window, DRF's keys.

The clock is the throttle's `timer` attribute (DRF reads time through it), set
to fixed instants so the windows are exact and nothing sleeps.
"""

import uuid

import pytest
from django.core.cache import cache, caches
from django.test import override_settings
from redis.connection import AbstractConnection
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import ScopedRateThrottle

from core import throttles
from core.throttles import (
    AnonDefaultThrottle,
    ScopedThrottle,
    SlidingWindowMixin,
    UserDefaultThrottle,
)
from tests.concurrency import run_in_parallel
from users.models import User

MINUTE = 60
T0 = 1_000_000 * MINUTE  # the start of a one-minute window

redis_only = pytest.mark.requires_redis


@pytest.fixture
def rates(settings):
    """Set some throttle rates, keeping the others."""

    def set_rates(**changed):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **changed,
            },
        }

    return set_rates


class View:
    """What a throttle reads from a view: its scope, if any."""

    def __init__(self, scope=None):
        self.throttle_scope = scope


def request_from(user=None, address="203.0.113.7"):
    request = Request(APIRequestFactory().get("/", REMOTE_ADDR=address))
    if user is not None:
        request.user = user
    return request


def a_user():
    # A real (unsaved) user: the throttles only read its id.
    return User(id=uuid.uuid4(), email=f"{uuid.uuid4().hex}@example.org")


def attempt(throttle_class, request, view=None, *, at):
    """One request through a fresh throttle (DRF makes one per request)."""
    throttle = throttle_class()
    throttle.timer = lambda: at
    return throttle.allow_request(request, view or View()), throttle


def allowed_count(throttle_class, request, view=None, *, at, tries):
    return sum(attempt(throttle_class, request, view, at=at)[0] for _ in range(tries))


def raw_redis():
    return caches["default"]._cache.get_client(write=True)


@redis_only
def test_parallel_requests_pass_exactly_the_rate(rates):
    rates(user="10/min")
    request = request_from(a_user())
    results = []

    def one():
        results.append(attempt(UserDefaultThrottle, request, at=T0 + 30)[0])

    run_in_parallel([one] * 40)

    assert len(results) == 40
    assert results.count(True) == 10


@redis_only
def test_one_round_trip_per_request(rates, monkeypatch):
    rates(user="10/min")
    request = request_from(a_user())
    attempt(UserDefaultThrottle, request, at=T0)  # connects and loads the script
    sent = []
    send = AbstractConnection.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return send(self, command, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)

    assert attempt(UserDefaultThrottle, request, at=T0 + 1)[0] is True
    assert len(sent) == 1


@redis_only
def test_a_script_missing_from_redis_is_sent_whole(rates, monkeypatch):
    rates(user="1/min")
    request = request_from(a_user())
    # A digest Redis has never seen: what a restarted or flushed server answers.
    monkeypatch.setattr(throttles, "_SCRIPT_SHA", "0" * 40)

    assert attempt(UserDefaultThrottle, request, at=T0)[0] is True
    assert attempt(UserDefaultThrottle, request, at=T0)[0] is False


@redis_only
def test_the_window_slides(rates):
    rates(user="10/min")
    request = request_from(a_user())

    # Window w: ten of fifteen pass; the refused five are not counted.
    assert allowed_count(UserDefaultThrottle, request, at=T0 + 5, tries=15) == 10
    # Half-way through w+1, w still weighs half: 10 * 0.5 + 5 = 10.
    assert allowed_count(UserDefaultThrottle, request, at=T0 + 90, tries=10) == 5
    # At three quarters: 10 * 0.25 + 7 = 9.5, an eighth would make 10.5.
    assert allowed_count(UserDefaultThrottle, request, at=T0 + 105, tries=10) == 2
    # Start of w+2: w+1's seven weigh fully, w no longer counts.
    assert allowed_count(UserDefaultThrottle, request, at=T0 + 120, tries=10) == 3
    # Start of w+3: w+2's three weigh fully.
    assert allowed_count(UserDefaultThrottle, request, at=T0 + 180, tries=10) == 7
    # A window after a quiet one (w+4) allows the full rate again.
    assert allowed_count(UserDefaultThrottle, request, at=T0 + 300, tries=20) == 10


@redis_only
def test_wait_is_when_a_request_passes_again(rates):
    rates(user="10/min")
    request = request_from(a_user())
    assert allowed_count(UserDefaultThrottle, request, at=T0, tries=10) == 10

    allowed, throttle = attempt(UserDefaultThrottle, request, at=T0)
    assert allowed is False
    # In w+1 the ten weigh (60 - t) / 60 each: 10 * 54 / 60 + 1 <= 10 from t = 6.
    assert throttle.wait() == 66
    assert attempt(UserDefaultThrottle, request, at=T0 + 65)[0] is False
    assert attempt(UserDefaultThrottle, request, at=T0 + 66)[0] is True


@redis_only
def test_wait_within_the_window_and_never_below_one(rates):
    rates(user="10/min")
    request = request_from(a_user())
    assert allowed_count(UserDefaultThrottle, request, at=T0, tries=10) == 10
    # Half-way through w+1, five pass; the sixth waits for w to weigh less:
    # 10 * (30 - t) / 60 + 6 <= 10 from t = 6.
    assert allowed_count(UserDefaultThrottle, request, at=T0 + 90, tries=5) == 5
    allowed, throttle = attempt(UserDefaultThrottle, request, at=T0 + 90)
    assert allowed is False
    assert throttle.wait() == 6
    assert attempt(UserDefaultThrottle, request, at=T0 + 96)[0] is True

    # Refused a hair before the release: still at least one second.
    rates(user="1/min")
    other = request_from(a_user())
    assert attempt(UserDefaultThrottle, other, at=T0)[0] is True
    allowed, throttle = attempt(UserDefaultThrottle, other, at=T0 + 2 * MINUTE - 0.001)
    assert allowed is False
    assert throttle.wait() == 1


@redis_only
def test_users_scopes_and_addresses_have_their_own_counters(rates):
    rates(user="2/min", anon="2/min", login="2/min", registration="2/min")
    alice, bob = request_from(a_user()), request_from(a_user())
    assert allowed_count(UserDefaultThrottle, alice, at=T0, tries=5) == 2
    assert allowed_count(UserDefaultThrottle, bob, at=T0, tries=5) == 2

    login, registration = View("login"), View("registration")
    assert allowed_count(ScopedThrottle, alice, login, at=T0, tries=5) == 2
    assert allowed_count(ScopedThrottle, alice, registration, at=T0, tries=5) == 2
    assert allowed_count(ScopedThrottle, bob, login, at=T0, tries=5) == 2
    assert attempt(ScopedThrottle, alice, View(), at=T0)[0] is True  # no scope, no throttle

    here, there = "198.51.100.1", "198.51.100.2"
    assert allowed_count(AnonDefaultThrottle, request_from(address=here), at=T0, tries=5) == 2
    assert attempt(AnonDefaultThrottle, request_from(address=here), at=T0)[0] is False
    assert allowed_count(AnonDefaultThrottle, request_from(address=there), at=T0, tries=5) == 2
    # The anonymous throttle leaves signed-in users to the user throttle.
    assert allowed_count(AnonDefaultThrottle, request_from(a_user(), here), at=T0, tries=5) == 5


@redis_only
def test_keys_carry_the_cache_prefix_and_version_and_expire(rates, settings):
    rates(user="10/min")
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "thr-test"}}
    user = a_user()
    now = T0 + 30

    assert attempt(UserDefaultThrottle, request_from(user), at=now)[0] is True

    key = f"thr-test:1:throttle_user_{user.pk}:{T0 // MINUTE}"
    redis = raw_redis()
    assert [k.decode() for k in redis.keys("*throttle_user*")] == [key]
    assert int(redis.get(key)) == 1
    assert MINUTE < redis.ttl(key) <= 2 * MINUTE


@pytest.mark.urls("tests.core.urls")
@redis_only
def test_throttled_api_request_is_429_in_the_error_shape(client, rates):
    rates(anon="2/min")
    url = "/api/v1/probe/log/"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200

    response = client.get(url)

    assert response.status_code == 429
    body = response.json()
    assert body["type"] == "client_error"
    assert [e["code"] for e in body["errors"]] == ["throttled"]
    assert set(body["errors"][0]) == {"code", "detail", "attr"}
    # Two in this window: the next passes once they weigh 1 or less in the next.
    assert 1 <= int(response["Retry-After"]) <= 2 * MINUTE
    # Counted by the Redis path: a window counter, not DRF's pickled list.
    (key,) = raw_redis().keys("*:throttle_anon_127.0.0.1:*")
    assert int(raw_redis().get(key)) == 2


def test_other_caches_keep_drfs_throttle(rates):
    rates(user="3/min")
    locmem = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle-fallback",
        }
    }
    request = request_from(a_user())
    with override_settings(CACHES=locmem):
        cache.clear()
        assert allowed_count(UserDefaultThrottle, request, at=T0, tries=5) == 3
        allowed, throttle = attempt(UserDefaultThrottle, request, at=T0 + 1)
        assert allowed is False
        assert throttle.window_state is None
        assert 0 < throttle.wait() <= MINUTE
        # DRF's own record: the pickled list of request times.
        assert cache.get(throttle.key) == [T0, T0, T0]
        assert attempt(UserDefaultThrottle, request, at=T0 + MINUTE)[0] is True
        cache.clear()


def test_mixin_must_follow_the_drf_class():
    # Listed first, it would run before ScopedRateThrottle picks the view's scope.
    with pytest.raises(TypeError, match="after the DRF throttle"):

        class Wrong(SlidingWindowMixin, ScopedRateThrottle):
            pass
