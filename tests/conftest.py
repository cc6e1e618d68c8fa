import pytest
from django.core.cache import cache

from tests.channel_listener import listener  # noqa: F401  (fixture for every folder)


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # Real hashing is slow by design; the suite tests flows, not bcrypt cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The cache holds throttle counters; on Redis this flushes the test database.
    cache.clear()
    yield
    cache.clear()


# --- daily activity (users/activity.py) -------------------------------------------


@pytest.fixture(autouse=True)
def _no_activity_rows_unless_asked(settings):
    """Off by default: the once-a-day ActiveDay insert on a user's first request
    would shift the exact query counts of steady-state tests. Tests of the
    dashboard and of activity itself use the `record_activity` fixture."""
    settings.USERS = {**settings.USERS, "RECORD_ACTIVITY": False}


@pytest.fixture
def record_activity(settings):
    from users.activity import forget_memo

    settings.USERS = {**settings.USERS, "RECORD_ACTIVITY": True}
    forget_memo()
    yield
    forget_memo()
