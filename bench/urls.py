"""The project's URLs plus the bare endpoints the feed benchmark compares the feed with.

Mounted only through bench.settings, never in production. Both endpoints answer
the bytes of the file named by BENCH_BARE_BODY (the benchmark saves a feed page
there before the first request), read once and then served from memory:

- /bench/bare/: a plain Django view behind the project's middleware: the
  framework ceiling for a JSON answer of that size on this server;
- /bench/bare-drf/: a DRF view with the project's default authentication (JWT,
  one user query), permission and throttles (Redis), returning the same bytes:
  the ceiling for an authenticated API endpoint that does no work of its own.
"""

import os
from pathlib import Path

from django.http import HttpResponse
from django.urls import path
from rest_framework.views import APIView

from config import urls as project

handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500

_body: bytes | None = None


def _response() -> HttpResponse:
    global _body
    if _body is None:
        _body = Path(os.environ["BENCH_BARE_BODY"]).read_bytes()
    return HttpResponse(_body, content_type="application/json")


def bare(request):
    return _response()


class BareAuthenticated(APIView):
    def get(self, request):
        return _response()


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/bare-drf/", BareAuthenticated.as_view()),
    *project.urlpatterns,
]
