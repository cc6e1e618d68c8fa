from typing import Literal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.pagination import OnePageEnvelopeSerializer
from core.query import QueryParamsSerializer
from users.serializers import PublicUserSerializer, UserSummarySerializer

from .media import media_url
from .models import (
    ForumComment,
    ForumPost,
    Media,
    Privacy,
    Report,
    ReportStatus,
    tag_name,
)
from .moderation import ResolveAction


class MediaSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnails = serializers.SerializerMethodField()

    class Meta:
        model = Media
        fields = ["id", "url", "width", "height", "content_type", "thumbnails"]
        read_only_fields = fields

    def get_url(self, media) -> str:
        return media_url(media=media, request=self.context.get("request"))

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {"type": "string", "format": "uri"},
            "example": {"320": "https://cdn.example.org/forum/2026/11/1c9e..._320.jpg"},
        }
    )
    def get_thumbnails(self, media) -> dict:
        request = self.context.get("request")
        return {
            size: media_url(media=media, request=request, name=name)
            for size, name in media.thumbnails.items()
        }


class PostSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    media_url = serializers.SerializerMethodField()
    media = MediaSerializer(many=True, read_only=True)
    is_liked = serializers.BooleanField(read_only=True, default=False)
    tags = serializers.SerializerMethodField()
    is_hidden = serializers.SerializerMethodField()

    def get_is_hidden(self, post) -> bool:
        return post.hidden_at is not None

    # From the row's `tag_names` (kept by forum.services, names sorted as Tag
    # orders them), so lists need no tags query.
    def get_tags(self, post) -> list[str]:
        return post.tag_names.split()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_media_url(self, post) -> str | None:
        first = next(iter(post.media.all()), None)
        return media_url(media=first, request=self.context.get("request")) if first else None

    class Meta:
        model = ForumPost
        fields = [
            "id",
            "user",
            "content",
            "media_url",
            "timestamp",
            "like_count",
            "comment_count",
            "is_liked",
            "privacy",
            "tags",
            "is_edited",
            "is_hidden",
            "media",
        ]
        read_only_fields = fields


class FeedFilterSerializer(QueryParamsSerializer):
    author = serializers.UUIDField(required=False, help_text="Only this author's posts")
    tag = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text="Only posts with this tag (empty: every tag)",
    )
    following = serializers.BooleanField(
        required=False, default=False, help_text="Only authors the caller follows"
    )


class PostUpdateSerializer(serializers.Serializer):
    content = serializers.CharField(trim_whitespace=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )
    privacy = serializers.ChoiceField(choices=Privacy.choices, required=False)


class PostWriteSerializer(PostUpdateSerializer):
    # Checked against the author's uploads (forum.media.claim_media), not as a URL.
    media_url = serializers.CharField(
        max_length=1000,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="URL returned by the upload endpoint for one of your uploads.",
    )
    media = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=10,
        help_text="Ids of your uploads to attach, in order (after `media_url`).",
    )


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class BatchUploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False)


class CommentSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    parent = serializers.UUIDField(source="parent_id", read_only=True, allow_null=True)
    is_liked = serializers.BooleanField(
        read_only=True, default=False, help_text="Whether the caller likes this comment."
    )
    is_hidden = serializers.SerializerMethodField(
        help_text="Hidden by a moderator: only its author and moderators see it."
    )

    def get_is_hidden(self, comment) -> bool:
        return comment.hidden_at is not None

    class Meta:
        model = ForumComment
        fields = [
            "id",
            "user",
            "content",
            "timestamp",
            "parent",
            "depth",
            "is_edited",
            "is_deleted",
            "like_count",
            "is_liked",
            "is_hidden",
        ]
        read_only_fields = fields


class CommentWriteSerializer(serializers.Serializer):
    content = serializers.CharField(trim_whitespace=True)
    parent = serializers.UUIDField(required=False, allow_null=True)


class CommentUpdateSerializer(serializers.Serializer):
    content = serializers.CharField(trim_whitespace=True)


class ReportSerializer(serializers.ModelSerializer):
    """A report as its reporter sees it."""

    target_type = serializers.SerializerMethodField()
    post = serializers.UUIDField(source="post_id", read_only=True, allow_null=True)
    comment = serializers.UUIDField(source="comment_id", read_only=True, allow_null=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "target_type",
            "post",
            "comment",
            "reason",
            "details",
            "status",
            "created_at",
        ]
        read_only_fields = fields

    def get_target_type(self, report) -> Literal["post", "comment"]:
        return "post" if report.post_id else "comment"


class ReportTargetSerializer(serializers.Serializer):
    """The reported post or comment (which one: the report's `target_type`)."""

    id = serializers.UUIDField()
    post_id = serializers.UUIDField(help_text="The post, or the post the comment is on.")
    author = UserSummarySerializer()
    content = serializers.CharField()
    timestamp = serializers.DateTimeField()
    is_hidden = serializers.BooleanField()
    is_deleted = serializers.BooleanField()


class ModerationReportSerializer(ReportSerializer):
    """A report in the moderators' queue: who reported what, and who handled it."""

    reporter = UserSummarySerializer(read_only=True)
    target = serializers.SerializerMethodField()
    handled_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "reporter", "target", "handled_by", "handled_at"]
        read_only_fields = fields

    @extend_schema_field(ReportTargetSerializer)
    def get_target(self, report) -> dict:
        content = report.post if report.post_id else report.comment
        return ReportTargetSerializer(
            {
                "id": content.pk,
                "post_id": report.post_id or content.post_id,
                "author": content.user,
                "content": content.content,
                "timestamp": content.timestamp,
                "is_hidden": content.hidden_at is not None,
                "is_deleted": getattr(content, "is_deleted", False),
            },
            context=self.context,
        ).data


class ReportFilterSerializer(QueryParamsSerializer):
    status = serializers.ChoiceField(
        choices=ReportStatus.choices,
        required=False,
        default=ReportStatus.OPEN,
        help_text="Reports in this state (default: open, the queue).",
    )


class ResolveReportSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=ResolveAction.CHOICES,
        help_text="`hide` hides the content (reports become `resolved`); "
        "`dismiss` leaves it up (reports become `dismissed`).",
    )
    suspend_until = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Also suspend the content's author until then (ISO 8601, future).",
    )
    suspension_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=255
    )


class SearchParamsSerializer(QueryParamsSerializer):
    q = serializers.CharField(
        max_length=100, trim_whitespace=True, help_text="Words, a #tag, a handle or a name."
    )
    type = serializers.ChoiceField(
        choices=["posts", "users"],
        required=False,
        allow_null=True,
        default=None,
        help_text="Search only posts or only users (default: both).",
    )


class SearchResultsSerializer(OnePageEnvelopeSerializer):
    posts = PostSerializer(many=True, help_text="Best match first; empty with `type=users`.")
    users = PublicUserSerializer(
        many=True, help_text="Most similar first; empty with `type=posts`."
    )


class TagListParamsSerializer(QueryParamsSerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text="Only tags starting with this (case-insensitive; a leading # is ignored).",
    )

    def validate_q(self, value: str) -> str:
        return tag_name(value)


class PopularTagSerializer(serializers.Serializer):
    name = serializers.CharField()
    post_count = serializers.IntegerField(help_text="Public posts with this tag.")


class PopularTagsSerializer(OnePageEnvelopeSerializer):
    tags = PopularTagSerializer(many=True, help_text="Most used first, then by name.")
