"""ASGI entry point: HTTP goes to Django, `/ws/` to the realtime gateway.

Served by daphne in every environment (`runserver` uses it through the `daphne`
app; production runs `daphne config.asgi:application`).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models.
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from core.http_handler import ThreadedASGIHandler, leave_bodies_to_django  # noqa: E402
from core.runtime import tune_garbage_collector  # noqa: E402
from core.sentry import wrap_asgi  # noqa: E402
from realtime.auth import JWTAuthMiddleware, OriginMiddleware  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

leave_bodies_to_django()

application = ProtocolTypeRouter(
    {
        "http": ThreadedASGIHandler(settings.HTTP_CONCURRENCY),
        # Sockets reported to Sentry when SENTRY_DSN is set (HTTP is, by its Django integration).
        "websocket": wrap_asgi(
            OriginMiddleware(JWTAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

tune_garbage_collector(settings.GC_THRESHOLDS)
