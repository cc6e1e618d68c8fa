import uuid

from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core import error_codes as core_codes
from core.exceptions import NotFound
from core.media import image_upload_request, upload_error_responses
from core.types import parse_uuid

from . import cache as post_cache
from . import error_codes, feed, media, moderation, selectors, services
from .comments import fetch_comment, fetch_comments, render_comments
from .like_state import CommentLikeStateSerializer, PostLikeStateSerializer
from .models import ForumComment, ForumPost
from .openapi import (
    COMMENT_CREATE_EXAMPLES,
    COMMENT_EDIT_EXAMPLES,
    COMMENT_EXAMPLES,
    COMMENT_LIKE_EXAMPLES,
    MEDIA_BATCH_EXAMPLES,
    MODERATED_POST_EXAMPLES,
    POST_CREATE_EXAMPLES,
    POST_EDIT_EXAMPLES,
    POST_EXAMPLES,
    POST_LIKE_EXAMPLES,
    POST_REPLACE_EXAMPLES,
    UPLOAD_EXAMPLES,
)
from .pagination import CommentPagination, PostPagination
from .permissions import CanModeratePosts
from .read_models import COMMENT, POST
from .serializers import (
    BatchUploadSerializer,
    CommentSerializer,
    CommentUpdateSerializer,
    CommentWriteSerializer,
    FeedFilterSerializer,
    MediaSerializer,
    PostSerializer,
    PostUpdateSerializer,
    PostWriteSerializer,
    UploadSerializer,
)

FEED_FILTERS = frozenset(FeedFilterSerializer().fields)


@extend_schema_view(
    list=extend_schema(
        summary="Feed of posts the caller may see, newest first",
        parameters=[FeedFilterSerializer],
        examples=POST_EXAMPLES,
    ),
    create=extend_schema(
        summary="Create a post", request=PostWriteSerializer, examples=POST_CREATE_EXAMPLES
    ),
    retrieve=extend_schema(summary="One post", examples=POST_EXAMPLES),
    update=extend_schema(
        summary="Replace a post (author only)",
        request=PostUpdateSerializer,
        examples=POST_REPLACE_EXAMPLES,
    ),
    partial_update=extend_schema(
        summary="Edit a post (author only)",
        request=PostUpdateSerializer,
        examples=POST_EDIT_EXAMPLES,
    ),
    destroy=extend_schema(
        summary="Delete a post (author only)",
        description="Notifications about the post and its comments are withdrawn "
        "(`notification.deleted` on their recipients' sockets).",
    ),
)
@extend_schema(tags=["forum"])
@extend_validation_errors([core_codes.INVALID_IMAGE], actions=["media_batch"], methods=["post"])
@extend_validation_errors(
    [error_codes.TOO_MANY_FILES], field_name="files", actions=["media_batch"], methods=["post"]
)
@extend_validation_errors(
    [error_codes.PROFANITY],
    field_name="content",
    actions=["create", "update", "partial_update", "comments"],
    methods=["post", "put", "patch"],
)
@extend_validation_errors(
    [error_codes.TOO_MANY_TAGS],
    field_name="tags",
    actions=["create", "update", "partial_update"],
    methods=["post", "put", "patch"],
)
@extend_validation_errors(
    [error_codes.INVALID_MEDIA], field_name="media", actions=["create"], methods=["post"]
)
@extend_validation_errors(
    [error_codes.INVALID_MEDIA_URL], field_name="media_url", actions=["create"], methods=["post"]
)
@extend_validation_errors(
    [core_codes.DOES_NOT_EXIST, error_codes.MAX_DEPTH],
    field_name="parent",
    actions=["comments"],
    methods=["post"],
)
class PostViewSet(viewsets.ModelViewSet):
    serializer_class = PostSerializer
    # Only the author may edit or delete (forum.services): a 403 for anyone else.
    forbidden_methods = ("PUT", "PATCH", "DELETE")
    pagination_class = PostPagination
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self):
        # For the schema only: every read goes through forum.feed.
        return selectors.post_feed(viewer=self.request.user)

    def list(self, request, *args, **kwargs):
        # The hot path: rows and plain rendering instead of querysets and
        # PostSerializer (forum.feed); the page is what PostSerializer renders.
        filters = {}
        if FEED_FILTERS.intersection(request.query_params):  # most pages have none
            params = FeedFilterSerializer(data=request.query_params)
            params.is_valid(raise_exception=True)
            filters = params.validated_data
        paginator = self.paginator

        def fetch(cursor, backward, limit):
            return feed.fetch_posts(
                viewer=request.user,
                filters=filters,
                cursor=cursor,
                backward=backward,
                limit=limit,
            )

        rows = paginator.paginate(request, fetch, fields_of=ForumPost.objects.all())
        return paginator.get_paginated_response(feed.render_posts(rows, request))

    def get_object(self):
        """The whole post, if the caller may see it: for writes that change it."""
        return selectors.fetch_visible_post(
            viewer=self.request.user, post_id=self.kwargs["pk"], whole=True
        )

    def _row(self, post_id) -> dict:
        """The post as `read_models.POST` reads it, if the caller may see it."""
        row = feed.fetch_post(viewer=self.request.user, post_id=_post_id(post_id))
        if row is None:
            raise NotFound(core_codes.NOT_FOUND, "No such post.")
        return row

    def retrieve(self, request, *args, **kwargs):
        post_id = _post_id(self.kwargs["pk"])
        renderer = POST.renderer(request)
        if not post_cache.enabled():
            return Response(renderer.one(self._row(post_id)))
        origin = f"{request.scheme}://{request.get_host()}"
        # Read before the database, so a write racing this request invalidates it.
        version = post_cache.current_version(post_id)
        data = post_cache.cached_detail(
            viewer=request.user, post_id=post_id, version=version, origin=origin, renderer=renderer
        )
        if data is not None:
            return Response(data)
        row = self._row(post_id)
        shared = renderer.shared(row)
        post_cache.store_body(
            post_id=post_id, row=row, version=version, origin=origin, shared=shared
        )
        return Response(renderer.merge(shared, renderer.viewer(row)))

    def _respond_with(self, post, status_code=status.HTTP_200_OK):
        return Response(POST.renderer(self.request).one(self._row(post.pk)), status=status_code)

    def create(self, request, *args, **kwargs):
        data = PostWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = services.create_post(author=request.user, **data.validated_data)
        return self._respond_with(post, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        post = self.get_object()
        data = PostUpdateSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        post = services.update_post(
            post=post, editor=request.user, fields=set(data.validated_data), **data.validated_data
        )
        return self._respond_with(post)

    def perform_destroy(self, instance):
        services.delete_post(post=instance, actor=self.request.user)

    @extend_schema(
        summary="Toggle (POST), set (PUT) or remove (DELETE) the caller's like",
        request=None,
        responses={200: PostLikeStateSerializer},
    )
    @extend_schema(methods=["POST"], examples=POST_LIKE_EXAMPLES["POST"])
    @extend_schema(methods=["PUT"], examples=POST_LIKE_EXAMPLES["PUT"])
    @extend_schema(methods=["DELETE"], examples=POST_LIKE_EXAMPLES["DELETE"])
    @action(detail=True, methods=["post", "put", "delete"])
    def like(self, request, pk=None):
        if request.method == "POST":
            state = services.toggle_post_like(user=request.user, post_id=pk)
        else:
            state = services.set_post_like(
                user=request.user, post_id=pk, liked=request.method == "PUT"
            )
        return Response(PostLikeStateSerializer(state).data)

    @extend_schema(
        summary="Hide a post from everyone but its author (moderators)",
        description="Notifications about the post and its comments are withdrawn "
        "(`notification.deleted` on their recipients' sockets); restoring the post "
        "does not bring them back.",
        request=None,
        examples=MODERATED_POST_EXAMPLES["hide"],
    )
    @action(detail=True, methods=["post"], permission_classes=[CanModeratePosts])
    def hide(self, request, pk=None):
        post = moderation.hide_post(post=self.get_object(), moderator=request.user)
        return self._respond_with(post)

    @extend_schema(
        summary="Restore a hidden post (moderators)",
        request=None,
        examples=MODERATED_POST_EXAMPLES["restore"],
    )
    @action(detail=True, methods=["post"], permission_classes=[CanModeratePosts])
    def restore(self, request, pk=None):
        post = moderation.restore_post(post=self.get_object(), moderator=request.user)
        return self._respond_with(post)

    @extend_schema(
        summary="Add images to your post (all or nothing)",
        request=image_upload_request(BatchUploadSerializer, "files"),
        responses={201: MediaSerializer(many=True), **upload_error_responses()},
        examples=MEDIA_BATCH_EXAMPLES,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="media/batch",
        parser_classes=[MultiPartParser],
        pagination_class=None,
    )
    def media_batch(self, request, pk=None):
        post = self.get_object()
        data = BatchUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stored = media.upload_media_batch(
            owner=request.user, post=post, uploads=data.validated_data["files"]
        )
        return Response(
            MediaSerializer(stored, many=True, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        summary="Comments on a post, oldest first",
        responses=CommentSerializer(many=True),
        examples=COMMENT_EXAMPLES,
    )
    @extend_schema(
        methods=["POST"],
        summary="Comment on a post, or reply with `parent`",
        request=CommentWriteSerializer,
        responses={201: CommentSerializer},
        examples=COMMENT_CREATE_EXAMPLES,
    )
    @action(detail=True, methods=["get", "post"], pagination_class=CommentPagination)
    def comments(self, request, pk=None):
        post = selectors.fetch_visible_post(viewer=request.user, post_id=pk)
        if request.method == "POST":
            data = CommentWriteSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            comment = services.create_comment(
                post=post,
                author=request.user,
                content=data.validated_data["content"],
                parent_id=data.validated_data.get("parent"),
            )
            return comment_response(request, comment, status.HTTP_201_CREATED)
        paginator = self.paginator

        def fetch(cursor, backward, limit):
            return fetch_comments(
                viewer=request.user, post_id=post.pk, cursor=cursor, backward=backward, limit=limit
            )

        rows = paginator.paginate(request, fetch, fields_of=ForumComment.objects.all())
        return paginator.get_paginated_response(render_comments(rows, request))


def comment_response(request, comment, status_code=status.HTTP_200_OK) -> Response:
    """The comment as `read_models.COMMENT` renders it for the caller."""
    row = fetch_comment(viewer=request.user, post_id=comment.post_id, comment_id=comment.pk)
    if row is None:
        raise NotFound(core_codes.NOT_FOUND, "No such comment.")
    return Response(COMMENT.renderer(request).one(row), status=status_code)


def _post_id(value) -> uuid.UUID:
    post_id = parse_uuid(value)
    if post_id is None:
        raise NotFound(core_codes.NOT_FOUND, "No such post.")
    return post_id


@extend_schema(tags=["forum"])
@extend_schema_view(
    partial_update=extend_schema(
        summary="Edit a comment (author only)",
        responses=CommentSerializer,
        examples=COMMENT_EDIT_EXAMPLES,
    ),
    update=extend_schema(summary="Replace a comment (author only)", examples=COMMENT_EDIT_EXAMPLES),
    destroy=extend_schema(
        summary="Delete a comment (author only)",
        description="Notifications about the comment are withdrawn "
        "(`notification.deleted` on their recipients' sockets).",
    ),
)
@extend_validation_errors(
    [error_codes.PROFANITY], field_name="content", methods=["post", "put", "patch"]
)
class CommentViewSet(mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = CommentUpdateSerializer
    # Only the author may edit or delete (forum.services): a 403 for anyone else.
    forbidden_methods = ("PUT", "PATCH", "DELETE")
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self):
        return selectors.visible_comments(viewer=self.request.user)

    def get_object(self):
        pk = self.kwargs["pk"]
        return selectors.fetch_visible_comment(viewer=self.request.user, comment_id=pk)

    @extend_schema(request=CommentUpdateSerializer, responses=CommentSerializer)
    def update(self, request, *args, **kwargs):
        comment = self.get_object()
        data = CommentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.update_comment(
            comment=comment, editor=request.user, content=data.validated_data["content"]
        )
        return comment_response(request, comment)

    @extend_schema(
        summary="Toggle (POST), set (PUT) or remove (DELETE) the caller's like on a comment",
        request=None,
        responses={200: CommentLikeStateSerializer},
    )
    @extend_schema(methods=["POST"], examples=COMMENT_LIKE_EXAMPLES["POST"])
    @extend_schema(methods=["PUT"], examples=COMMENT_LIKE_EXAMPLES["PUT"])
    @extend_schema(methods=["DELETE"], examples=COMMENT_LIKE_EXAMPLES["DELETE"])
    @action(detail=True, methods=["post", "put", "delete"])
    def like(self, request, pk=None):
        if request.method == "POST":
            state = services.toggle_comment_like(user=request.user, comment_id=pk)
        else:
            state = services.set_comment_like(
                user=request.user, comment_id=pk, liked=request.method == "PUT"
            )
        return Response(CommentLikeStateSerializer(state).data)

    def perform_destroy(self, instance):
        services.delete_comment(comment=instance, actor=self.request.user)


@extend_schema(
    tags=["forum"],
    summary="Upload an image for a post",
    description=(
        "JPEG, PNG or WebP, checked by content. Returns `url` (the mobile contract) "
        "plus the media id, size and thumbnail URLs. Pass `url` as `media_url` (or the "
        "id in `media`) when creating the post; uploads never attached are deleted."
    ),
    request=image_upload_request(UploadSerializer, "file"),
    responses={201: MediaSerializer, **upload_error_responses()},
    examples=UPLOAD_EXAMPLES,
)
@extend_validation_errors([core_codes.INVALID_IMAGE], methods=["post"])
class UploadView(GenericAPIView):
    parser_classes = [MultiPartParser]
    serializer_class = UploadSerializer

    def post(self, request):
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stored = media.upload_media(owner=request.user, upload=data.validated_data["file"])
        stored.refresh_from_db()
        return Response(
            MediaSerializer(stored, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
