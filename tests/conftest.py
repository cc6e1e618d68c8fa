import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # Real hashing is slow by design; the suite tests flows, not bcrypt cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The cache holds throttle counters; on Redis this flushes the test database.
    cache.clear()
    yield
    cache.clear()
