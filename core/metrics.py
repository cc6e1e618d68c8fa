"""Prometheus metrics beyond django-prometheus's HTTP and model ones, and the
guarded `/metrics` endpoint.

- `realtime_open_sockets`: sockets accepted and not yet closed, this process.
- `realtime_frames_total{direction, type}`: frames in (by the client's `type`:
  built-in and registered types by name, anything else `other`) and out (events
  by name, plus `ack`, `error`, `resync.required`).
- `realtime_events_published_total{type, target}`: events handed to the
  channel layer, `target` `user` (one per recipient) or `stream`.
- `celery_tasks_total{task, outcome}`: `succeeded`, `failed`, `retried`,
  `rejected`, `revoked`, counted where the task runs (eager tasks in the web
  process; a worker exposes its own on `METRICS_WORKER_PORT`). A prefork
  worker's tasks run in its child processes: with `PROMETHEUS_MULTIPROC_DIR`
  set, each child writes its counts there and the worker's port sums them
  (prometheus_client's multiprocess mode); without it the port would only show
  the parent process, which runs no task.

`/metrics` answers only to addresses in `METRICS_ALLOWED_IPS` (addresses or
networks) or to `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets a 403.
"""

import hmac
import ipaddress
import logging
import os
from pathlib import Path

from celery.signals import (
    task_failure,
    task_rejected,
    task_retry,
    task_revoked,
    task_success,
    worker_init,
    worker_process_shutdown,
)
from django.conf import settings
from django.http import HttpResponseForbidden
from prometheus_client import Counter, Gauge

logger = logging.getLogger(__name__)

OPEN_SOCKETS = Gauge(
    "realtime_open_sockets",
    "WebSocket connections open on this process.",
    multiprocess_mode="livesum",
)
FRAMES = Counter(
    "realtime_frames_total", "WebSocket frames by direction and type.", ["direction", "type"]
)
EVENTS_PUBLISHED = Counter(
    "realtime_events_published_total",
    "Realtime events handed to the channel layer, per recipient user or per stream.",
    ["type", "target"],
)
CELERY_TASKS = Counter(
    "celery_tasks_total", "Celery task runs by task name and outcome.", ["task", "outcome"]
)


def frame_in(frame_type: str) -> None:
    FRAMES.labels("in", frame_type).inc()


def frame_out(frame_type: str) -> None:
    FRAMES.labels("out", frame_type).inc()


def events_published(event_type: str, target: str, count: int = 1) -> None:
    if count:
        EVENTS_PUBLISHED.labels(event_type, target).inc(count)


def _task_name(sender=None, request=None, **kwargs) -> str:
    name = getattr(sender, "name", None) or getattr(request, "task", None)
    return str(name or "unknown")


@task_success.connect(weak=False)
def _on_success(sender=None, **kwargs):
    CELERY_TASKS.labels(_task_name(sender), "succeeded").inc()


@task_failure.connect(weak=False)
def _on_failure(sender=None, **kwargs):
    CELERY_TASKS.labels(_task_name(sender), "failed").inc()


@task_retry.connect(weak=False)
def _on_retry(sender=None, request=None, **kwargs):
    CELERY_TASKS.labels(_task_name(sender, request), "retried").inc()


@task_rejected.connect(weak=False)
def _on_rejected(sender=None, message=None, **kwargs):
    name = (getattr(message, "headers", None) or {}).get("task", "unknown")
    CELERY_TASKS.labels(str(name), "rejected").inc()


@task_revoked.connect(weak=False)
def _on_revoked(sender=None, request=None, **kwargs):
    CELERY_TASKS.labels(_task_name(sender, request), "revoked").inc()


@worker_init.connect(weak=False)
def _serve_worker_metrics(sender=None, **kwargs):
    """A Celery worker has no HTTP server: it exposes its metrics on a port of its
    own when METRICS_WORKER_PORT is set (with PROMETHEUS_MULTIPROC_DIR set, the
    prefork children's counts are summed)."""
    port = getattr(settings, "METRICS_WORKER_PORT", 0)
    if not port:
        return
    from prometheus_client import CollectorRegistry, start_http_server

    registry = None
    directory = settings.PROMETHEUS_MULTIPROC_DIR
    if directory:
        from prometheus_client import multiprocess

        _forget_other_processes(Path(directory))
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    elif "prefork" in getattr(getattr(sender, "pool_cls", None), "__module__", ""):
        logger.warning(
            "METRICS_WORKER_PORT without PROMETHEUS_MULTIPROC_DIR: the prefork "
            "children's task counts will not show on the metrics port"
        )
    start_http_server(
        port, addr=settings.METRICS_WORKER_ADDR, **({"registry": registry} if registry else {})
    )
    logger.info("Celery metrics on port %s", port)


def _forget_other_processes(directory: Path) -> None:
    """Files left by an earlier run of the worker (a restarted container keeps
    its /tmp) would be summed into this run's counts; this process's own stay."""
    own = f"_{os.getpid()}.db"
    for path in directory.glob("*.db"):
        if not path.name.endswith(own):
            path.unlink(missing_ok=True)


@worker_process_shutdown.connect(weak=False)
def _child_gone(pid=None, **kwargs):
    # A recycled prefork child's live gauges stop counting; its counters stay summed.
    if settings.PROMETHEUS_MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


# --- the endpoint ------------------------------------------------------------------


def _address_allowed(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if ip in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            logger.warning("METRICS_ALLOWED_IPS has an invalid entry: %r", allowed)
    return False


def _token_allowed(request) -> bool:
    expected = settings.METRICS_TOKEN
    if not expected:
        return False
    header = request.headers.get("Authorization", "")
    scheme, _, sent = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip(), expected)


def may_read_metrics(request) -> bool:
    # REMOTE_ADDR, never X-Forwarded-For: behind a proxy, use the token.
    return _address_allowed(request.META.get("REMOTE_ADDR")) or _token_allowed(request)


def metrics_view(request):
    if not may_read_metrics(request):
        return HttpResponseForbidden(
            "Metrics are readable from METRICS_ALLOWED_IPS or with METRICS_TOKEN.\n",
            content_type="text/plain",
        )
    from django_prometheus.exports import ExportToDjangoView

    return ExportToDjangoView(request)
