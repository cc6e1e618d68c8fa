from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.media import absolute_url
from users.serializers import UserSummarySerializer

from .media import media_url
from .models import ForumComment, ForumPost, Media, Privacy


class MediaSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnails = serializers.SerializerMethodField()

    class Meta:
        model = Media
        fields = ["id", "url", "width", "height", "content_type", "thumbnails"]
        read_only_fields = fields

    def get_url(self, media) -> str:
        return media_url(media, self.context.get("request"))

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {"type": "string", "format": "uri"},
            "example": {"320": "https://cdn.example.org/forum/2026/11/1c9e..._320.jpg"},
        }
    )
    def get_thumbnails(self, media) -> dict:
        request = self.context.get("request")
        storage = media.file.storage
        return {
            size: absolute_url(storage.url(name), request)
            for size, name in media.thumbnails.items()
        }


class PostSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    media_url = serializers.SerializerMethodField()
    media = MediaSerializer(many=True, read_only=True)
    is_liked = serializers.BooleanField(read_only=True, default=False)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    is_hidden = serializers.SerializerMethodField()

    def get_is_hidden(self, post) -> bool:
        return post.hidden_at is not None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_media_url(self, post) -> str | None:
        first = next(iter(post.media.all()), None)
        return media_url(first, self.context.get("request")) if first else None

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


class FeedFilterSerializer(serializers.Serializer):
    author = serializers.UUIDField(required=False, help_text="Only this author's posts")
    tag = serializers.CharField(required=False, max_length=50, help_text="Only posts with this tag")
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


class LikeStateSerializer(serializers.Serializer):
    is_liked = serializers.BooleanField()
    like_count = serializers.IntegerField()


class CommentSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    parent = serializers.UUIDField(source="parent_id", read_only=True, allow_null=True)

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
        ]
        read_only_fields = fields


class CommentWriteSerializer(serializers.Serializer):
    content = serializers.CharField(trim_whitespace=True)
    parent = serializers.UUIDField(required=False, allow_null=True)


class CommentUpdateSerializer(serializers.Serializer):
    content = serializers.CharField(trim_whitespace=True)
