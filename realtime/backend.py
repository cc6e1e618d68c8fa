"""Which store the event log and presence use: Redis when REDIS_URL is set.

Both modules talk to Redis with the synchronous client: it is thread-safe and
bound to no event loop, so the same pool serves sync service code and the
consumers (which call through ``sync_to_async``). Async clients are tied to
the loop that created them, and a module-level one breaks as soon as a second
loop (a Celery task's ``async_to_sync``, a test) touches it.
"""

import threading

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

_clients: dict[str, redis.Redis] = {}
_lock = threading.Lock()

KEY_PREFIX = "realtime"
# The part's name in core.degraded and in `/ready/`.
REALTIME_STORE_PART = "realtime_store"


def use_redis() -> bool:
    return bool(settings.REDIS_URL)


def redis_client() -> redis.Redis:
    url = settings.REDIS_URL
    client = _clients.get(url)
    if client is None:
        with _lock:
            client = _clients.get(url)
            if client is None:
                client = redis.Redis.from_url(
                    url,
                    decode_responses=True,
                    socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
                    socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
                    health_check_interval=30,
                    # Once more on a fresh connection: after Redis restarted, each
                    # pooled connection fails once ("Connection closed by server"),
                    # and each such failure would start a new outage backoff.
                    retry=Retry(NoBackoff(), 1),
                    retry_on_error=[redis.exceptions.ConnectionError],
                )
                _clients[url] = client
    return client


def realtime_settings() -> dict:
    return settings.REALTIME
