from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from core.pagination import NO_PAGE_LINKS
from users.serializers import PublicUserSerializer

from . import search
from .openapi import SEARCH_EXAMPLES
from .read_models import POST
from .serializers import SearchParamsSerializer, SearchResultsSerializer


class SearchView(GenericAPIView):
    serializer_class = SearchResultsSerializer
    pagination_class = None
    filter_backends: list = []
    throttle_scope = "search"

    @extend_schema(
        tags=["forum"],
        summary="Search posts and users",
        description=(
            "Posts by text and tag, ranked (Postgres full-text search; tags weigh more "
            "than text), and users by handle or display name, most similar first. Only "
            "what the caller may see; at most `FORUM_SEARCH_RESULTS` of each. All matching "
            "users, page by page: `GET users/search/`. Throttled with it (`THROTTLE_SEARCH`)."
        ),
        parameters=[SearchParamsSerializer],
        responses=SearchResultsSerializer,
        examples=SEARCH_EXAMPLES,
    )
    def get(self, request):
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        q, only = params.validated_data["q"], params.validated_data["type"]
        context = self.get_serializer_context()
        posts = [] if only == "users" else search.search_posts(viewer=request.user, q=q)
        users = [] if only == "posts" else search.search_users(viewer=request.user, q=q)
        return Response(
            {
                "posts": POST.renderer(request).many(posts),
                "users": PublicUserSerializer(users, many=True, context=context).data,
                **NO_PAGE_LINKS,
            }
        )
