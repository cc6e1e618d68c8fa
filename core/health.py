"""Liveness (`/health/`) and readiness (`/ready/`) probes.

Plain Django views: no authentication, no throttling, no DRF machinery, so a
probe answers even when the API layer is misconfigured. `/health/` touches
nothing; `/ready/` checks each backing service and names the one that failed.
"""

import asyncio
import logging
import uuid
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views import View

from core.degraded import is_outage
from core.realtime.backend import redis_client, use_redis

logger = logging.getLogger(__name__)

CHANNEL_LAYER_TIMEOUT_SECONDS = 2.0


class CheckFailed(Exception):
    """A check's own finding (logged as a warning, without a traceback)."""


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 returned an unexpected row")


def check_cache() -> None:
    key = f"ready-check:{uuid.uuid4().hex}"
    value = uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            # The cache degrades (a miss) rather than raise when Redis is out.
            raise CheckFailed("cache did not return the value just stored")
    finally:
        cache.delete(key)


async def _channel_layer_round_trip() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel(prefix="ready-check")
    nonce = uuid.uuid4().hex
    await layer.send(channel, {"type": "ready.check", "nonce": nonce})
    message = await layer.receive(channel)
    if message.get("nonce") != nonce:
        raise RuntimeError("channel layer delivered a different message")


def check_channel_layer() -> None:
    async def bounded():
        await asyncio.wait_for(_channel_layer_round_trip(), CHANNEL_LAYER_TIMEOUT_SECONDS)

    async_to_sync(bounded)()


def check_realtime_store() -> None:
    """The Redis holding the sockets' event logs and presence (in-process without one)."""
    if use_redis() and not redis_client().ping():
        raise CheckFailed("the realtime store did not answer PING")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "channel_layer": check_channel_layer,
    "realtime_store": check_realtime_store,
}


class HealthView(View):
    """The process is up and serving requests. Nothing else is checked."""

    http_method_names = ["get", "head"]

    def get(self, request):
        return JsonResponse({"status": "ok"})


class ReadyView(View):
    """Every backing service answers; 503 naming the ones that did not."""

    http_method_names = ["get", "head"]

    def get(self, request):
        checks: dict[str, str] = {}
        for name, check in CHECKS.items():
            try:
                check()
            except Exception as exc:
                if is_outage(exc) or isinstance(exc, CheckFailed):
                    logger.warning(
                        "readiness check %s failed: %s: %s", name, type(exc).__name__, exc
                    )
                else:
                    logger.exception("readiness check %s failed", name)
                checks[name] = "failed"
            else:
                checks[name] = "ok"
        failed = [name for name, result in checks.items() if result != "ok"]
        if failed:
            return JsonResponse(
                {"status": "unavailable", "failed": failed, "checks": checks}, status=503
            )
        return JsonResponse({"status": "ok", "checks": checks})
