from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from core.pagination import NO_PAGE_LINKS

from . import cache
from .serializers import PopularTagsSerializer, TagListParamsSerializer


class TagListView(GenericAPIView):
    serializer_class = PopularTagsSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        tags=["forum"],
        summary="Popular tags",
        description=(
            "The tags on most public posts (hidden posts do not count), most used first, "
            "at most `FORUM_POPULAR_TAGS` of them; `q` keeps those starting with it. "
            "A new or removed tagged post shows at once."
        ),
        parameters=[TagListParamsSerializer],
        responses=PopularTagsSerializer,
        examples=[
            OpenApiExample(
                "Popular tags",
                value={
                    "tags": [
                        {"name": "django", "post_count": 42},
                        {"name": "dogs", "post_count": 7},
                    ],
                    **NO_PAGE_LINKS,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        params = TagListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        tags = cache.popular_tags(prefix=params.validated_data.get("q", ""))
        return Response(PopularTagsSerializer({"tags": tags, **NO_PAGE_LINKS}).data)
