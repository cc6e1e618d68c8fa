"""Root URLconf: wiring only.

The API is served under the canonical `/api/v1/` and, for the mobile app's
contract, the same routes again under `/api/`. `reverse()` picks the last
pattern with a name, so `/api/v1/` is listed last and is what the project
reverses to; pagination links are built from the request and keep the prefix
the client used.
"""

import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.celery import app as celery_app
from core import health
from core.api_docs import RedocView
from core.health import HealthView, ReadyView
from core.metrics import metrics_view
from core.views_media import serve_media
from realtime.views import AsyncApiView
from staff.views import dashboard_page

# /ready/ checks the Celery broker; the app is config's, so config registers it.
health.register("celery_broker", health.celery_broker(celery_app))

api_patterns = [
    path("auth/", include("users.auth_urls")),
    path("users/", include("users.urls")),
    path("forum/", include("forum.urls")),
    path("chat/", include("chat.urls")),
    path("notifications/", include("notifications.urls")),
    path("mobile/push-token/", include("notifications.mobile_urls")),
    # The shop: categories/, products/, cart/, checkout/session/, orders/, payments/webhook/.
    path("", include("commerce.urls")),
    # Staff: the dashboard's figures as JSON.
    path("admin/", include("staff.urls")),
]

urlpatterns = [
    # The staff dashboard (charts), inside the admin's login and staff check.
    path("admin/dashboard/", admin.site.admin_view(dashboard_page), name="admin-dashboard"),
    # The rollup's admin pages before the model moved from core to staff.
    re_path(
        r"^admin/core/dashboardday/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/staff/dashboardday/%(rest)s", query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("health/", HealthView.as_view(), name="health"),
    path("ready/", ReadyView.as_view(), name="ready"),
    # Prometheus; only from METRICS_ALLOWED_IPS or with METRICS_TOKEN.
    path("metrics", metrics_view, name="prometheus-metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The socket's frames, AsyncAPI 3 (realtime.asyncapi).
    path("api/asyncapi/", AsyncApiView.as_view(), name="asyncapi"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/", include(api_patterns)),
    path("api/v1/", include(api_patterns)),
]

if settings.MEDIA_URL.startswith("/"):
    # Local media, whatever DEBUG: signed URLs checked, public files served
    # (core.views_media); behind the proxy only what it does not serve itself.
    urlpatterns.append(
        re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<name>.+)$", serve_media)
    )

# Errors raised outside DRF views: the API's error shape under /api/.
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
