"""`GET /api/asyncapi/`: the socket's catalogue as an AsyncAPI 3 document (JSON).

Public and unthrottled like `/api/schema/`, and not part of the OpenAPI document.
Built once per process (and per host when `PUBLIC_ORIGIN` is unset).
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .asyncapi import cached_document


@extend_schema(exclude=True)
class AsyncApiView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    renderer_classes = [JSONRenderer]

    def get(self, request):
        host = None if getattr(settings, "PUBLIC_ORIGIN", "") else request.get_host()
        return Response(cached_document(host))
