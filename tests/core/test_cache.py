"""core.cache.VersionedCache: the versioning both the post and the profile caches use."""

import pytest
from django.db import transaction

from core.cache import VersionedCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def things():
    return VersionedCache("test:thing", ttl=lambda: 60)


def test_entries_live_under_the_current_version(things):
    version = things.current_version(1)
    assert things.current_version(1) == version
    things.set(1, version, {"a": 1}, "part")
    assert things.get(1, version, "part") == {"a": 1}
    assert things.get(1, version, "other") is None
    assert things.get(2, things.current_version(2), "part") is None


def test_invalidation_deletes_the_version_at_once_and_again_after_commit(
    things, django_capture_on_commit_callbacks
):
    before = things.current_version(1)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        things.invalidate(1)
        # A reader racing the still-open transaction starts a version and
        # stores what it read: the old data.
        racing = things.current_version(1)
        assert racing != before
        things.set(1, racing, "stale", "part")
    after = things.current_version(1)
    assert after not in (before, racing)
    assert things.get(1, after, "part") is None


def test_a_ttl_of_zero_turns_the_cache_off():
    assert not VersionedCache("test:off", ttl=lambda: 0).enabled()
    assert VersionedCache("test:on", ttl=lambda: 1).enabled()
