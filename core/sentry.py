"""Error reporting to Sentry, switched on by SENTRY_DSN (nothing at all without it).

Integrations: Django (requests, views, the ORM), Celery (tasks, with the
request id that queued them) and, for Channels' sockets, the ASGI middleware
`config.asgi` wraps the socket router in. No personal data is sent
(`send_default_pii=False`: no cookies, no Authorization header, no user
addresses), and `scrub_event` redacts tokens and passwords (`?token=` on a
socket's URL included) from whatever else an event carries.
"""

from collections.abc import Mapping

from . import request_id
from .logging import redact


def _scrub(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def scrub_event(event, hint=None):
    request = event.get("request")
    if isinstance(request, dict) and request.get("query_string"):
        request["query_string"] = redact("?" + str(request["query_string"]))[1:]
    for key in ("request", "extra", "breadcrumbs", "exception", "logentry", "message"):
        if key in event:
            event[key] = _scrub(event[key])
    current = request_id.get()
    if current != request_id.NONE:
        event.setdefault("tags", {})["request_id"] = current
    return event


def init_sentry(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> bool:
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )
    return True


def wrap_asgi(application):
    """The socket router inside Sentry's ASGI middleware when Sentry is on."""
    import sentry_sdk

    if not sentry_sdk.get_client().is_active():
        return application
    from sentry_sdk.integrations.asgi import SentryAsgiMiddleware

    return SentryAsgiMiddleware(application)
