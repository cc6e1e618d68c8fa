"""Liveness (`/health/`) and readiness (`/ready/`) probes.

Plain Django views: no authentication, no throttling, no DRF machinery, so a
probe answers even when the API layer is misconfigured. `/health/` touches
nothing; `/ready/` checks each backing service (database, cache, channel layer, Celery
broker) and names the one that failed; S3 and Stripe, when configured, are
reported under `optional` and never fail readiness.
"""

import asyncio
import logging
import uuid
from collections.abc import Callable

import requests
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views import View

from core.degraded import is_outage
from realtime.backend import redis_client, use_redis

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


def check_celery_broker() -> None:
    """The broker accepts a connection (nothing to check when tasks run eagerly
    on the in-process memory transport)."""
    from config.celery import app

    if app.conf.task_always_eager and str(app.conf.broker_url).startswith("memory://"):
        return
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "channel_layer": check_channel_layer,
    "realtime_store": check_realtime_store,
    "celery_broker": check_celery_broker,
}


def check_s3() -> None:
    import boto3
    from botocore.config import Config

    timeout = settings.READY_OPTIONAL_TIMEOUT_SECONDS
    client = boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        region_name=settings.AWS_S3_REGION_NAME,
        config=Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1}),
    )
    client.head_bucket(Bucket=settings.AWS_STORAGE_BUCKET_NAME)


def check_stripe() -> None:
    """Stripe answers an authenticated read (the account's balance)."""
    base = (getattr(settings, "STRIPE_API_BASE", "") or "https://api.stripe.com").rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise RuntimeError("STRIPE_API_BASE must be an http(s) URL")
    reply = requests.get(
        f"{base}/v1/balance",
        headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"},
        timeout=settings.READY_OPTIONAL_TIMEOUT_SECONDS,
    )
    if reply.status_code != 200:
        raise RuntimeError(f"Stripe answered {reply.status_code}")


def optional_checks() -> dict[str, Callable[[], None]]:
    """Parts checked only when configured; their failure is reported, not fatal."""
    checks = {}
    if getattr(settings, "AWS_STORAGE_BUCKET_NAME", ""):
        checks["s3"] = check_s3
    if getattr(settings, "STRIPE_SECRET_KEY", ""):
        checks["stripe"] = check_stripe
    return checks


def _run(checks: dict[str, Callable[[], None]]) -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:
            if is_outage(exc) or isinstance(exc, CheckFailed):
                logger.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            else:
                logger.exception("readiness check %s failed", name)
            results[name] = "failed"
        else:
            results[name] = "ok"
    return results


class HealthView(View):
    """The process is up and serving requests. Nothing else is checked."""

    http_method_names = ["get", "head"]

    def get(self, request):
        return JsonResponse({"status": "ok"})


class ReadyView(View):
    """Every backing service answers; 503 naming the ones that did not."""

    http_method_names = ["get", "head"]

    def get(self, request):
        checks = _run(CHECKS)
        failed = [name for name, result in checks.items() if result != "ok"]
        body: dict = {"status": "ok", "checks": checks}
        optional = _run(optional_checks())
        if optional:
            # S3 and Stripe: the API serves most requests without them.
            body["optional"] = optional
            degraded = [name for name, result in optional.items() if result != "ok"]
            if degraded:
                body["degraded"] = degraded
        if failed:
            body.update(status="unavailable", failed=failed)
            return JsonResponse(body, status=503)
        return JsonResponse(body)
