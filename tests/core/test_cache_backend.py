"""core.cache_backends.RedisCache: Django's Redis cache, one client per connection pool."""

import threading

import pytest
from django.conf import settings
from django.core.cache import cache, caches

from core.cache_backends import RedisCache, RedisCacheClient
from tests.concurrency import run_in_parallel
from tests.fresh_interpreter import json_from_fresh_interpreter


def cache_settings(**env: str) -> dict:
    """CACHES["default"] of config.settings loaded in a fresh interpreter with `env`."""
    return json_from_fresh_interpreter(
        "from config import settings", "settings.CACHES['default']", **env
    )


def test_settings_choose_this_backend_when_redis_url_is_set():
    with_redis = cache_settings(REDIS_URL="redis://cache.invalid:6379/2")
    assert with_redis["BACKEND"] == "core.cache_backends.RedisCache"
    assert with_redis["LOCATION"] == "redis://cache.invalid:6379/2"
    without = cache_settings(REDIS_URL="")
    assert without["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.requires_redis
def test_the_running_cache_is_this_backend():
    assert settings.CACHES["default"]["BACKEND"] == "core.cache_backends.RedisCache"
    assert isinstance(caches["default"], RedisCache)
    assert isinstance(caches["default"]._cache, RedisCacheClient)


@pytest.mark.requires_redis
def test_repeated_calls_share_one_client():
    client = cache._cache.get_client()
    # One server: reads and writes share its pool, and so its client.
    assert cache._cache.get_client("some-key") is client
    assert cache._cache.get_client("other-key", write=True) is client
    assert client.connection_pool is cache._cache._get_connection_pool(write=True)
    cache.set("shared-client", 1)
    cache.get("shared-client")
    assert cache._cache.get_client() is client


@pytest.mark.requires_redis
def test_one_client_per_pool_with_several_servers():
    """Django reads from the replicas and writes to the first server: a client for
    each of their pools, never one client for all."""
    location = settings.CACHES["default"]["LOCATION"]
    backend = RedisCache([location, location], {"KEY_PREFIX": "test-several"})
    writer = backend._cache.get_client(write=True)
    reader = backend._cache.get_client()
    assert writer is not reader
    assert writer.connection_pool is backend._cache._get_connection_pool(write=True)
    assert reader.connection_pool is not writer.connection_pool
    assert backend._cache.get_client(write=True) is writer
    assert backend._cache.get_client() is reader


@pytest.mark.requires_redis
def test_values_round_trip():
    cache.set("profile", {"name": "Ann", "tags": ["a", "b"], "count": 3}, 60)
    assert cache.get("profile") == {"name": "Ann", "tags": ["a", "b"], "count": 3}
    assert cache.get("missing") is None
    assert cache.get("missing", "default") == "default"
    cache.set_many({"one": 1, "two": "2", "three": [3]}, 60)
    assert cache.get_many(["one", "two", "three", "four"]) == {"one": 1, "two": "2", "three": [3]}
    assert cache.add("one", 100) is False and cache.get("one") == 1
    assert cache.incr("one") == 2
    assert cache.incr("one", 10) == 12
    assert cache.decr("one", 2) == 10
    assert cache.get("one") == 10
    assert cache.delete("one") is True
    assert cache.get("one") is None
    assert cache.delete("one") is False
    with pytest.raises(ValueError):
        cache.incr("one")
    cache.delete_many(["two", "three"])
    assert cache.get_many(["two", "three"]) == {}


@pytest.mark.requires_redis
def test_one_client_shared_by_threads_counts_exactly():
    """The shared client is thread-safe: each command borrows a pool connection."""
    location = settings.CACHES["default"]["LOCATION"]
    backend = RedisCache(location, {"KEY_PREFIX": "test-threads"})
    backend.set("counter", 0)
    clients = set()
    lock = threading.Lock()

    def job():
        for _ in range(50):
            backend.incr("counter")
        with lock:
            clients.add(id(backend._cache.get_client(write=True)))

    run_in_parallel([job for _ in range(8)])
    assert backend.get("counter") == 400
    assert len(clients) == 1


@pytest.mark.requires_redis
def test_backends_of_different_threads_share_one_pool_and_connection():
    """Django makes a cache backend per thread, and ASGI a thread per request: the
    pool (and its open connections) must outlive them, or every request connects
    to Redis anew."""
    seen = []
    lock = threading.Lock()
    pool = cache._cache.get_client(write=True).connection_pool
    cache.set("shared-pool", 0)
    connections_before = pool._created_connections

    def job():
        for _ in range(20):
            cache.incr("shared-pool")  # `cache` is this thread's own backend
        client = cache._cache.get_client(write=True)
        with lock:
            seen.append((id(caches["default"]), id(client.connection_pool)))

    run_in_parallel([job for _ in range(4)])
    backends = {backend for backend, _ in seen}
    pools = {pool for _, pool in seen}
    assert len(backends) == 4  # Django's per-thread backends...
    assert len(pools) == 1  # ...over one shared pool
    assert pools == {id(pool)}
    # 80 commands from 4 threads: at most one new connection per thread at once.
    assert pool._created_connections - connections_before <= 4
    assert cache.get("shared-pool") == 80
