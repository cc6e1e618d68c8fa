"""The shop's categories: public, one page, cacheable by browsers and CDNs."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.pagination import NO_PAGE_LINKS

from . import selectors
from .serializers import CategoryListSerializer

# The same for every caller; a new category shows within this many seconds.
CATEGORIES_MAX_AGE_SECONDS = 300
KITCHEN = {"id": "c0ffee00-1234-4abc-8def-0123456789ab", "name": "Kitchen", "slug": "kitchen"}
OUTDOORS = {"id": "c0ffee00-5678-4abc-8def-0123456789ab", "name": "Outdoors", "slug": "outdoors"}


class CategoryListView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = CategoryListSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        tags=["shop"],
        summary="Product categories (public)",
        description=(
            "Every category, by name, in one page. Pass a category's `slug` as "
            "`GET products/?category=` for its products. Categories are flat (none has "
            f"children). Answered with `Cache-Control: public, max-age="
            f"{CATEGORIES_MAX_AGE_SECONDS}`: the same for every caller."
        ),
        responses=CategoryListSerializer,
        examples=[
            OpenApiExample(
                "Categories",
                value={"categories": [KITCHEN, OUTDOORS], **NO_PAGE_LINKS},
                response_only=True,
            )
        ],
    )
    def get(self, request):
        body = CategoryListSerializer({"categories": selectors.categories(), **NO_PAGE_LINKS})
        response = Response(body.data)
        response["Cache-Control"] = f"public, max-age={CATEGORIES_MAX_AGE_SECONDS}"
        return response
