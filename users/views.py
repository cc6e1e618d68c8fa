"""Users API: own account, public profiles, avatar, follows, moderation."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import error_codes as core_codes
from core.media import image_upload_request, upload_error_responses
from core.pagination import KeysetPagination
from core.permissions import IsOwnerOrReadOnly
from core.schema import multipart_example

from . import cache as profile_cache
from . import error_codes, selectors, services
from .models import User
from .openapi import (
    SAM,
    UserBlockedResponseSerializer,
    me_example,
    moderation_state_example,
    public_user_example,
)
from .permissions import CanModerateUsers
from .serializers import (
    AvatarUploadSerializer,
    BlockStateSerializer,
    FollowStateSerializer,
    MeSerializer,
    MeUpdateSerializer,
    ModerationStateSerializer,
    PublicUserSerializer,
    SuspendSerializer,
    UserSearchParamsSerializer,
)

ME_EXAMPLE = OpenApiExample("Account", value=me_example(), response_only=True)
PROFILE_EDIT_EXAMPLES = [
    OpenApiExample("Edit", value={"display_name": "Jane D.", "bio": "Hello!"}, request_only=True),
    OpenApiExample(
        "Edited", value=me_example(display_name="Jane D.", bio="Hello!"), response_only=True
    ),
]
FOLLOWER_EXAMPLE = OpenApiExample(
    "One page of users",
    value=public_user_example(
        SAM, bio="", post_count=3, follower_count=5, following_count=9, is_following=False
    ),
    response_only=True,
)


class FollowPagination(KeysetPagination):
    """Followers / following, most recent follow first."""

    envelope = "users"
    ordering = (f"-{selectors.FOLLOWED_AT}", f"-{selectors.FOLLOW_ID}")


class BlockPagination(KeysetPagination):
    """Blocked users, most recent block first."""

    envelope = "users"
    ordering = (f"-{selectors.BLOCKED_AT}", f"-{selectors.BLOCK_ID}")


class UserSearchPagination(KeysetPagination):
    """Search results, best match first (`selectors.user_search_ordering`)."""

    envelope = "users"
    ordering = ("username", "id")  # Set per request: it depends on the database.


USER_SEARCH_EXAMPLE = OpenApiExample(
    "Matches",
    value=public_user_example(SAM, bio="", is_following=False),
    response_only=True,
)


def _patch_me(request, user: User) -> Response:
    serializer = MeUpdateSerializer(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    services.update_profile(user=user, **serializer.validated_data)
    return Response(MeSerializer(selectors.me(user), context={"request": request}).data)


@extend_validation_errors(
    [error_codes.USERNAME_TAKEN, error_codes.INVALID_USERNAME],
    field_name="username",
    methods=["patch"],
)
class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["users"],
        summary="Your account",
        responses={200: MeSerializer},
        examples=[ME_EXAMPLE],
    )
    def get(self, request):
        return Response(MeSerializer(selectors.me(request.user), context={"request": request}).data)

    @extend_schema(
        tags=["users"],
        summary="Edit your profile",
        description="Change `username`, `display_name` or `bio`; the email is read-only.",
        request=MeUpdateSerializer,
        responses={200: MeSerializer},
        examples=PROFILE_EDIT_EXAMPLES,
    )
    def patch(self, request):
        return _patch_me(request, request.user)


@extend_validation_errors([core_codes.INVALID_IMAGE], methods=["post"])
class MeAvatarView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["users"],
        summary="Upload your avatar",
        description=(
            "Multipart field `avatar`: a JPEG, PNG or WebP image, recognised by its "
            "content. It is stored cropped square, resized and without metadata (EXIF, GPS)."
        ),
        request=image_upload_request(AvatarUploadSerializer, "avatar"),
        responses={200: MeSerializer, **upload_error_responses()},
        examples=[
            multipart_example(
                "A photo", {"avatar": "jane.png"}, "One `avatar` part: a JPEG, PNG or WebP image."
            ),
            ME_EXAMPLE,
        ],
    )
    def post(self, request):
        serializer = AvatarUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.set_avatar(user=request.user, upload=serializer.validated_data["avatar"])
        return Response(MeSerializer(selectors.me(request.user), context={"request": request}).data)

    @extend_schema(tags=["users"], summary="Remove your avatar", responses={204: None})
    def delete(self, request):
        services.remove_avatar(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserDetailView(APIView):
    permission_classes = [IsAuthenticated, IsOwnerOrReadOnly]

    def get_object(self) -> User:
        user = selectors.get_user_for(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, user)
        return user

    @extend_schema(
        tags=["users"],
        summary="A user's public profile",
        responses={200: PublicUserSerializer},
        examples=[OpenApiExample("Profile", value=public_user_example(), response_only=True)],
    )
    def get(self, request, pk):
        return Response(
            profile_cache.public_profile(
                viewer=request.user, user_id=pk, request=request, serializer=PublicUserSerializer
            )
        )

    @extend_schema(
        tags=["users"],
        summary="Edit a profile (your own only)",
        description="Same as `PATCH /users/me/`; another user's profile answers 403.",
        request=MeUpdateSerializer,
        responses={200: MeSerializer},
        examples=PROFILE_EDIT_EXAMPLES,
    )
    def patch(self, request, pk):
        user = self.get_object()
        return _patch_me(request, user)


@extend_validation_errors([error_codes.CANNOT_FOLLOW_SELF], methods=["post"])
class FollowView(APIView):
    permission_classes = [IsAuthenticated]

    def _response(self, followee: User, following: bool) -> Response:
        followee.profile.refresh_from_db(fields=["follower_count"])
        data = {"following": following, "follower_count": followee.profile.follower_count}
        return Response(FollowStateSerializer(data).data)

    @extend_schema(
        tags=["users"],
        summary="Follow a user",
        description="Idempotent: following someone you already follow changes nothing. "
        "Following yourself answers 400 `cannot_follow_self`; someone you blocked, 409 "
        "`user_blocked`; someone who blocked you, 404, as for a user who does not exist.",
        request=None,
        responses={200: FollowStateSerializer, 409: UserBlockedResponseSerializer},
        examples=[
            OpenApiExample(
                "Following", value={"following": True, "follower_count": 49}, response_only=True
            )
        ],
    )
    def post(self, request, pk):
        followee = selectors.get_user_for(request.user, pk)
        services.follow(follower=request.user, followee=followee)
        return self._response(followee, True)

    @extend_schema(
        tags=["users"],
        summary="Unfollow a user",
        description="Idempotent: unfollowing someone you do not follow changes nothing.",
        request=None,
        responses={200: FollowStateSerializer},
        examples=[
            OpenApiExample(
                "Not following",
                value={"following": False, "follower_count": 48},
                response_only=True,
            )
        ],
    )
    def delete(self, request, pk):
        followee = selectors.get_user_for(request.user, pk)
        services.unfollow(follower=request.user, followee=followee)
        return self._response(followee, False)


@extend_validation_errors([error_codes.CANNOT_BLOCK_SELF], methods=["post"])
class BlockView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["users"],
        summary="Block a user",
        description="Idempotent. From then on neither of you sees the other's posts, "
        "comments or profile (404), neither can follow the other, and neither is "
        "notified of the other's actions. Follows between you, and the notifications "
        "either of you got about the other's actions, are removed both ways and do not "
        "come back on unblocking (from likes folded with others', only theirs goes). "
        "Blocking yourself answers 400 "
        "`cannot_block_self`; a user who blocked you answers 404, as everywhere.",
        request=None,
        responses={200: BlockStateSerializer},
        examples=[OpenApiExample("Blocked", value={"is_blocked": True}, response_only=True)],
    )
    def post(self, request, pk):
        target = selectors.get_user_for(request.user, pk)
        services.block_user(blocker=request.user, blocked=target)
        return Response(BlockStateSerializer({"is_blocked": True}).data)

    @extend_schema(
        tags=["users"],
        summary="Unblock a user",
        description="Idempotent: unblocking someone you do not block changes nothing. "
        "Follows the block removed stay removed.",
        request=None,
        responses={200: BlockStateSerializer},
        examples=[OpenApiExample("Not blocked", value={"is_blocked": False}, response_only=True)],
    )
    def delete(self, request, pk):
        target = selectors.get_user_for(request.user, pk)
        services.unblock_user(blocker=request.user, blocked=target)
        return Response(BlockStateSerializer({"is_blocked": False}).data)


@extend_validation_errors([core_codes.INVALID_CURSOR], field_name="cursor", methods=["get"])
class BlockedUsersView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PublicUserSerializer
    pagination_class = BlockPagination
    filter_backends: list = []

    @extend_schema(
        tags=["users"],
        summary="Users you blocked",
        description="Most recent block first.",
        responses=PublicUserSerializer(many=True),
        examples=[FOLLOWER_EXAMPLE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.blocked_by(viewer=self.request.user)


@extend_validation_errors([core_codes.INVALID_CURSOR], field_name="cursor", methods=["get"])
class _FollowListView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PublicUserSerializer
    pagination_class = FollowPagination
    filter_backends: list = []

    def target(self) -> User:
        return selectors.get_user_for(self.request.user, self.kwargs["pk"])


class FollowersView(_FollowListView):
    @extend_schema(
        tags=["users"],
        summary="Who follows a user",
        responses=PublicUserSerializer(many=True),
        examples=[FOLLOWER_EXAMPLE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.followers_of(viewer=self.request.user, user=self.target())


class FollowingView(_FollowListView):
    @extend_schema(
        tags=["users"],
        summary="Whom a user follows",
        responses=PublicUserSerializer(many=True),
        examples=[FOLLOWER_EXAMPLE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.following_of(viewer=self.request.user, user=self.target())


@extend_validation_errors([error_codes.CANNOT_SUSPEND_SELF], methods=["post"])
@extend_validation_errors(
    [error_codes.NAIVE_DATETIME, core_codes.NOT_FUTURE], field_name="until", methods=["post"]
)
class SuspendView(APIView):
    permission_classes = [IsAuthenticated, CanModerateUsers]

    @extend_schema(
        tags=["moderation"],
        summary="Suspend a user (moderators)",
        description="Until `until` the user cannot log in or refresh, their access tokens "
        "are refused, their refresh tokens are revoked and their sockets closed. "
        "Only staff may suspend moderators or staff.",
        request=SuspendSerializer,
        responses={200: ModerationStateSerializer},
        examples=[
            OpenApiExample(
                "Suspend for a week",
                value={"until": "2026-02-01T00:00:00Z", "reason": "Spam"},
                request_only=True,
            ),
            OpenApiExample("Suspended", value=moderation_state_example(), response_only=True),
        ],
    )
    def post(self, request, pk):
        target = get_object_or_404(User, pk=pk)
        serializer = SuspendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.check_can_suspend(actor=request.user, target=target)
        services.suspend_user(user=target, **serializer.validated_data)
        return Response(ModerationStateSerializer(target).data)


class UnsuspendView(APIView):
    permission_classes = [IsAuthenticated, CanModerateUsers]

    @extend_schema(
        tags=["moderation"],
        summary="Lift a suspension (moderators)",
        request=None,
        responses={200: ModerationStateSerializer},
        examples=[
            OpenApiExample(
                "Lifted",
                value=moderation_state_example(
                    is_suspended=False, suspended_until=None, suspension_reason=""
                ),
                response_only=True,
            )
        ],
    )
    def post(self, request, pk):
        target = get_object_or_404(User, pk=pk)
        services.unsuspend_user(user=target)
        return Response(ModerationStateSerializer(target).data)


@extend_validation_errors([core_codes.INVALID_CURSOR], field_name="cursor", methods=["get"])
class UserSearchView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PublicUserSerializer
    pagination_class = UserSearchPagination
    filter_backends: list = []
    throttle_scope = "search"

    @extend_schema(
        tags=["users"],
        summary="Search users",
        description=(
            "Users by handle or display name, most similar first (pg_trgm similarity on "
            "Postgres; by handle on SQLite), in pages: pass `next_cursor` back as `cursor` "
            "with the same `q`. Only users the caller may see (no deactivated or suspended "
            "users, nobody who blocked the caller), as `forum/search/?type=users`, which "
            "answers the first `FORUM_SEARCH_RESULTS` of the same list. Throttled with the "
            "forum search (`THROTTLE_SEARCH`)."
        ),
        parameters=[UserSearchParamsSerializer],
        responses=PublicUserSerializer(many=True),
        examples=[USER_SEARCH_EXAMPLE],
    )
    def get(self, request, *args, **kwargs):
        params = UserSearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        users = selectors.search_users(viewer=request.user, q=params.validated_data["q"])
        paginator = self.paginator
        paginator.ordering = selectors.user_search_ordering()
        page = paginator.paginate_queryset(users, request, view=self)
        return paginator.get_paginated_response(self.get_serializer(page, many=True).data)
