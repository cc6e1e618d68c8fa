"""Django's Redis cache, with one connection pool and one client per server for
the whole process.

Django keeps a cache backend per thread (its `caches` handler is thread-local),
and under ASGI every request runs in a thread of its own, so the stock backend
makes a new connection pool, and with it a new TCP connection and handshake,
for every request: measured on the feed under load, ~15% of the server's CPU.
Its `get_client` also makes a new `redis.Redis` per call, which copies ~170
response callbacks each time. redis-py's pools and clients are thread-safe
(each command borrows a connection from the pool), so this backend shares them
across threads.

When Redis does not answer (core.degraded), the cache degrades instead of failing
the request: a read is a miss, a write is skipped (`add` answers False), and the
keys a failed `delete` should have removed are remembered (up to
`MAX_PENDING_DELETES`, per server) and deleted on the first call that reaches
Redis again, so an invalidation made during the outage is not lost when the old
entries come back with the server. Everything else is Django's backend.
"""

import logging
import threading

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.utils.functional import cached_property

from core import degraded

logger = logging.getLogger(__name__)

CACHE_PART = "cache"
MAX_PENDING_DELETES = 10_000
_FAILED = object()


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._lock = threading.Lock()
        # Keys whose delete failed during an outage, deleted once Redis answers.
        self.pending_deletes: set[str] = set()
        self.pending_lock = threading.Lock()

    def _get_connection_pool(self, write):
        index = self._get_connection_pool_index(write)
        pool = self._pools.get(index)
        if pool is None:
            with self._lock:
                pool = self._pools.get(index) or super()._get_connection_pool(write)
        return pool

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


_shared: dict[tuple, RedisCacheClient] = {}
_shared_lock = threading.Lock()


class RedisCache(DjangoRedisCache):
    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        client = _shared.get(key)
        if client is None:
            with _shared_lock:
                client = _shared.setdefault(key, RedisCacheClient(self._servers, **self._options))
        return client

    # --- degrading during an outage ---------------------------------------------------

    def _call(self, method, *args, **kwargs):
        """`method(...)`, or _FAILED when Redis is out (reported, see core.degraded).

        Deletes an outage left pending go first: nothing is read before them."""
        if self._cache.pending_deletes and not self._retry_deletes():
            return _FAILED
        return degraded.guarded(
            CACHE_PART, method, *args, fallback=_FAILED, doing="using the cache", **kwargs
        )

    def _remember_deletes(self, keys) -> None:
        client = self._cache
        with client.pending_lock:
            room = MAX_PENDING_DELETES - len(client.pending_deletes)
            keys = list(keys)
            client.pending_deletes.update(keys[: max(room, 0)])
        if len(keys) > room:
            logger.warning(
                "Cache: %s deletes failed during an outage and are not remembered "
                "(over %s pending): those entries live until they expire",
                len(keys) - max(room, 0),
                MAX_PENDING_DELETES,
            )

    def _retry_deletes(self) -> bool:
        """Delete the keys an outage left; False when Redis is still out."""
        if not degraded.available(CACHE_PART):
            return False
        client = self._cache
        with client.pending_lock:
            keys, client.pending_deletes = list(client.pending_deletes), set()
        if not keys:
            return True
        try:
            client.delete_many(keys)
        except degraded.OUTAGE_ERRORS as exc:
            degraded.report(CACHE_PART, exc, doing="deleting what an outage left")
            self._remember_deletes(keys)
            return False
        degraded.recovered(CACHE_PART)
        logger.info("Cache: deleted %s keys whose delete failed during an outage", len(keys))
        return True

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        added = self._call(super().add, key, value, timeout, version)
        return False if added is _FAILED else added

    def get(self, key, default=None, version=None):
        value = self._call(super().get, key, default, version)
        return default if value is _FAILED else value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call(super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        touched = self._call(super().touch, key, timeout, version)
        return False if touched is _FAILED else touched

    def delete(self, key, version=None):
        deleted = self._call(super().delete, key, version)
        if deleted is _FAILED:
            self._remember_deletes([self.make_and_validate_key(key, version=version)])
            return False
        return deleted

    def get_many(self, keys, version=None):
        keys = list(keys)
        found = self._call(super().get_many, keys, version)
        return {} if found is _FAILED else found

    def has_key(self, key, version=None):
        present = self._call(super().has_key, key, version)
        return False if present is _FAILED else present

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        failed = self._call(super().set_many, data, timeout, version)
        return list(data) if failed is _FAILED else failed

    def delete_many(self, keys, version=None):
        keys = list(keys)
        if self._call(super().delete_many, keys, version) is _FAILED:
            self._remember_deletes(self.make_and_validate_key(k, version=version) for k in keys)
