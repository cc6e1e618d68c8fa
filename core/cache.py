"""Versioned entries in the shared cache (Django's cache: Redis when configured).

Each cached object (a post, a profile, the tag list) has a version key; its
entries are stored under the version read *before* the database was. A write
that changes what an entry shows calls `invalidate`, which deletes the version
at once and again after commit: a reader that raced the write stored its entry
under a version nobody reads any more. A missing version simply starts a new one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

from .transactions import after_commit


def ttl_for_signed_urls(seconds: int) -> int:
    """`seconds`, shortened so a cached signed media URL never outlives its signature."""
    if getattr(settings, "AWS_STORAGE_BUCKET_NAME", "") and settings.AWS_QUERYSTRING_AUTH:
        return min(seconds, settings.AWS_QUERYSTRING_EXPIRE // 2)
    return seconds


class VersionedCache:
    """Entries of one kind of object, `<namespace>:<object id>:<version>:<parts...>`.

    `ttl` is read on every use so settings can change at run time (tests); 0
    turns the cache off. Parts of a key must be key-safe (no spaces, short).
    """

    def __init__(self, namespace: str, *, ttl: Callable[[], int]) -> None:
        self.namespace = namespace
        self._ttl = ttl

    def ttl(self) -> int:
        return int(self._ttl())

    def enabled(self) -> bool:
        return self.ttl() > 0

    def version_key(self, object_id) -> str:
        return f"{self.namespace}:{object_id}:version"

    def entry_key(self, object_id, version: str, *parts: str) -> str:
        return ":".join([self.namespace, str(object_id), version, *parts])

    def current_version(self, object_id) -> str:
        """The version to read and store under; call it before reading the database."""
        key = self.version_key(object_id)
        version = cache.get(key)
        if version is None:
            fresh = uuid.uuid4().hex
            cache.add(key, fresh, timeout=self.ttl())
            # None here: a write deleted the new version at once. This reader's
            # private version keeps whatever it stores from ever being served.
            version = cache.get(key) or fresh
        return version

    def get(self, object_id, version: str, *parts: str) -> Any | None:
        return cache.get(self.entry_key(object_id, version, *parts))

    def set(self, object_id, version: str, value: Any, *parts: str) -> None:
        cache.set(self.entry_key(object_id, version, *parts), value, timeout=self.ttl())

    def invalidate(self, object_id) -> None:
        key = self.version_key(object_id)
        cache.delete(key)
        after_commit(cache.delete, key)
