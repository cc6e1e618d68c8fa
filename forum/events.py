"""Realtime events the forum emits: names and payloads in one place.

Public posts go to the `forum` stream; likes and comments to the post's own
stream (`post:<id>`), whose subscribers passed the post's visibility check.
"""

from core.realtime.publish import publish_to_stream

POST_NEW = "forum.post.new"
POST_LIKED = "forum.post.liked"
COMMENT_NEW = "forum.comment.new"
COMMENT_LIKED = "forum.comment.liked"


def post_stream(post_id) -> str:
    return f"post:{post_id}"


def post_new(post) -> None:
    publish_to_stream(
        "forum",
        POST_NEW,
        {
            "id": str(post.pk),
            "user_id": str(post.user_id),
            "content": post.content,
            "timestamp": post.timestamp.isoformat(),
        },
        actor_id=post.user_id,
    )


def post_liked(*, post_id, like_count: int) -> None:
    publish_to_stream(
        post_stream(post_id),
        POST_LIKED,
        {"post_id": str(post_id), "like_count": like_count},
    )


def comment_new(comment) -> None:
    publish_to_stream(
        post_stream(comment.post_id),
        COMMENT_NEW,
        {
            "id": str(comment.pk),
            "post_id": str(comment.post_id),
            "parent_id": str(comment.parent_id) if comment.parent_id else None,
            "user_id": str(comment.user_id),
            "content": comment.content,
            "timestamp": comment.timestamp.isoformat(),
        },
        actor_id=comment.user_id,
    )


def comment_liked(*, comment_id, post_id, like_count: int) -> None:
    publish_to_stream(
        post_stream(post_id),
        COMMENT_LIKED,
        {"comment_id": str(comment_id), "post_id": str(post_id), "like_count": like_count},
    )
