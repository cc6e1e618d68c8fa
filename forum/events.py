"""Realtime events the forum emits: names and payloads in one place.

Public posts go to the `forum` stream; likes and comments to the post's own
stream (`post:<id>`), whose subscribers passed the post's visibility check and
are checked again whenever it may have changed (`post_visibility_changed`,
`post_deleted`; users' follows and blocks re-check their own subscriptions).

A new post or comment is sent as REST shows it (`read_models.POST` /
`COMMENT`: the `user` object, `Z` times), rendered once for every subscriber:
per-viewer fields take their `everyone` value (`is_liked: false`, every viewer's
value for something just created). A comment also carries its `post_id`. URLs
are absolute as on REST: local-storage media and avatars on `PUBLIC_ORIGIN`
(`core.media.absolute_url`), private media signed, S3 and CDN URLs as they are.

Likes carry the like state every viewer shares: `forum.post.liked` is
`PostLikeCount` `{post_id, like_count}`, `forum.comment.liked` `CommentLikeCount`
`{comment_id, post_id, like_count}`; REST's answer to a like is the same object
plus the caller's own `is_liked` (`PostLikeState` / `CommentLikeState`), which a
broadcast cannot carry.
"""

from realtime.catalogue import UUID, declare_event, derived
from realtime.publish import end_stream, publish_to_stream, recheck_stream

from .comments import fetch_comment
from .feed import fetch_post
from .like_state import CommentLikeCountSerializer, PostLikeCountSerializer
from .read_models import COMMENT, POST

POST_NEW = declare_event(
    "forum.post.new",
    summary="A public post, as anonymous REST shows it (`is_liked: false`).",
    payload="Post",
    delivered_to="the `forum` stream's subscribers",
)
POST_LIKED = declare_event(
    "forum.post.liked",
    summary="A post's like count: REST's `PostLikeState` less the caller's `is_liked`.",
    payload=PostLikeCountSerializer,
    delivered_to="the post's stream (`post:<id>`)",
)
COMMENT_NEW = declare_event(
    "forum.comment.new",
    summary="A new comment as the comments list shows it, plus its `post_id`.",
    payload=derived("Comment", properties={"post_id": UUID}, required=["post_id"]),
    delivered_to="the post's stream (`post:<id>`)",
)
COMMENT_LIKED = declare_event(
    "forum.comment.liked",
    summary="A comment's like count: REST's `CommentLikeState` less the caller's `is_liked`.",
    payload=CommentLikeCountSerializer,
    delivered_to="the post's stream (`post:<id>`)",
)


def post_stream(post_id) -> str:
    return f"post:{post_id}"


def post_new(post) -> None:
    """`forum.post.new` for a public post, as anonymous REST shows it."""
    row = fetch_post(viewer=None, post_id=post.pk)
    if row is None:  # not public (any more): the stream is for everyone
        return
    publish_to_stream("forum", POST_NEW, POST.renderer().for_everyone(row), actor_id=post.user_id)


def post_visibility_changed(post_id) -> None:
    """Privacy changed or a moderator hid it: subscribers who may no longer see it
    lose the post's stream (`stream.ended`, `not_visible`)."""
    recheck_stream(post_stream(post_id))


def post_deleted(post_id) -> None:
    """Every subscriber loses the post's stream (`stream.ended`, `deleted`)."""
    end_stream(post_stream(post_id))


def post_liked(state) -> None:
    """`forum.post.liked`: `PostLikeCount`, REST's `PostLikeState` (the answer to a
    like) without the per-viewer `is_liked`."""
    publish_to_stream(post_stream(state.post_id), POST_LIKED, PostLikeCountSerializer(state).data)


def comment_new(comment) -> None:
    """`forum.comment.new` for the post's subscribers, with the post's id."""
    row = fetch_comment(viewer=None, post_id=comment.post_id, comment_id=comment.pk)
    if row is None:  # hidden already: only its author and moderators see it
        return
    data = {**COMMENT.renderer().for_everyone(row), "post_id": str(comment.post_id)}
    publish_to_stream(post_stream(comment.post_id), COMMENT_NEW, data, actor_id=comment.user_id)


def comment_liked(state) -> None:
    """`forum.comment.liked`: `CommentLikeCount`, REST's `CommentLikeState` without
    the per-viewer `is_liked`."""
    publish_to_stream(
        post_stream(state.post_id), COMMENT_LIKED, CommentLikeCountSerializer(state).data
    )
