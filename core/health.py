"""Liveness (`/health/`) and readiness (`/ready/`) probes, and the registry of
readiness checks.

Plain Django views: no authentication, no throttling, no DRF machinery, so a
probe answers even when the API layer is misconfigured. `/health/` touches
nothing; `/ready/` runs every registered check and names the one that failed.

Checks register themselves, as dashboard figures and socket handlers do: core's own
(database, cache, channel layer, realtime store) here; the Celery broker from
config/urls.py (`celery_broker(app)`, the app passed in); S3 from core's
`AppConfig.ready()` (core.media); Stripe from commerce's (commerce.health). A check
registered with `configured=` is optional: run only while `configured()` is true,
reported under `optional`, never failing readiness.
"""

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views import View

from core.degraded import is_outage

logger = logging.getLogger(__name__)


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


def celery_broker(app) -> Callable[[], None]:
    """The check that `app`'s broker accepts a connection (nothing to check when
    tasks run eagerly on the in-process memory transport)."""

    def check_celery_broker() -> None:
        if app.conf.task_always_eager and str(app.conf.broker_url).startswith("memory://"):
            return
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)

    return check_celery_broker


# The registry, in the order the probe reports: checks that fail readiness, and
# optional ones with the test of whether their part is configured.
CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
}
OPTIONAL_CHECKS: dict[str, tuple[Callable[[], None], Callable[[], bool]]] = {}


def register(
    name: str, check: Callable[[], None], *, configured: Callable[[], bool] | None = None
) -> None:
    """Add a readiness check: `check()` raises when its part is not ready (an
    outage or `CheckFailed` is logged as a warning, anything else with its
    traceback). With `configured`, the part is optional (S3, Stripe): checked only
    while `configured()` is true, and its failure is reported, not fatal."""
    if configured is None:
        CHECKS[name] = check
    else:
        OPTIONAL_CHECKS[name] = (check, configured)


def optional_checks() -> dict[str, Callable[[], None]]:
    """Parts checked only when configured; their failure is reported, not fatal."""
    return {name: check for name, (check, configured) in OPTIONAL_CHECKS.items() if configured()}


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
