"""URLconf for core tests: the project's routes plus a few probe views."""

import logging

from django.http import HttpResponse
from django.urls import path
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as project

logger = logging.getLogger("tests.core.probe")


class LogView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request):
        logger.warning("probe log line")
        return Response({"ok": True})


class EchoView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    def post(self, request):
        return Response({"keys": sorted(request.data.keys())})


class FormEchoView(EchoView):
    """Takes form bodies, as an upload view does (the project default is JSON only)."""

    parser_classes = [MultiPartParser, FormParser]


class OnePerMinute(AnonRateThrottle):
    rate = "1/min"
    scope = "probe"


class ThrottledView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [OnePerMinute]

    def get(self, request):
        return Response({"ok": True})


class DrfCrashView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request):
        raise RuntimeError("probe crash")


def django_crash(request):
    raise RuntimeError("probe crash")


def plain_body(request):
    return HttpResponse(str(len(request.body)))


urlpatterns = [
    path("api/v1/probe/log/", LogView.as_view()),
    path("api/v1/probe/echo/", EchoView.as_view()),
    path("api/v1/probe/form-echo/", FormEchoView.as_view()),
    path("api/v1/probe/throttled/", ThrottledView.as_view()),
    path("api/v1/probe/drf-crash/", DrfCrashView.as_view()),
    path("api/v1/probe/crash/", django_crash),
    path("api/v1/probe/body/", plain_body),
    *project,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
