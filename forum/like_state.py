"""A like's state as REST answers it and as the like events carry it: one
declaration for both transports (no other forum import, so events may use it)."""

from rest_framework import serializers


class PostLikeCountSerializer(serializers.Serializer):
    """A post's like count, what every viewer shares: the `forum.post.liked` event.
    REST's answer to a like (`PostLikeState`) is this plus the caller's `is_liked`,
    which an event broadcast to a stream cannot carry."""

    post_id = serializers.UUIDField()
    like_count = serializers.IntegerField()


class PostLikeStateSerializer(PostLikeCountSerializer):
    is_liked = serializers.BooleanField(help_text="Whether the caller likes the post.")


class CommentLikeCountSerializer(serializers.Serializer):
    """A comment's like count, what every viewer shares: the `forum.comment.liked`
    event. REST's answer to a like (`CommentLikeState`) is this plus the caller's
    `is_liked`."""

    comment_id = serializers.UUIDField()
    post_id = serializers.UUIDField()
    like_count = serializers.IntegerField()


class CommentLikeStateSerializer(CommentLikeCountSerializer):
    is_liked = serializers.BooleanField(help_text="Whether the caller likes the comment.")
