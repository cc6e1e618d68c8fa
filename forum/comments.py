"""Reads of comments as the API shows them (`read_models.COMMENT`): a post's
comments page (`GET /forum/posts/{id}/comments/`) and one comment (the
create, edit and moderation responses, the `forum.comment.new` event).

One prepared query (`core.prepared`) over `selectors.post_comments` (the
hidden-comment and block rules, the viewer's `is_liked`), with the author's
name and avatar joined; the caller has checked that the viewer may see the
post. Rows are rendered by `read_models.COMMENT`, as `CommentSerializer`
renders the same comment (tests hold the two together).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from core.pagination import keyset_filter, reversed_ordering
from core.prepared import PreparedQuery
from users.roles import is_moderator

from . import selectors
from .pagination import CommentPagination
from .read_models import COMMENT


def _build_comments(shape: Hashable, p: dict[str, Any]):
    signed_in, moderator, direction, limit, one = shape
    viewer = selectors.stand_in_viewer(p["viewer"], moderator=moderator) if signed_in else None
    comments = selectors.post_comments(post=p["post"], viewer=viewer)
    if one:
        comments = comments.filter(pk=p["comment"])
    ordering = CommentPagination.ordering
    comments = comments.order_by(
        *(reversed_ordering(ordering) if direction == "backward" else ordering)
    )
    if direction is not None:
        bound = (p["cursor_timestamp"], p["cursor_id"])
        comments = comments.filter(keyset_filter(ordering, bound, forward=direction == "forward"))
    return comments.values(*COMMENT.columns)[:limit]


_comments = PreparedQuery(
    _build_comments,
    params={
        "viewer": "uuid",
        "post": "uuid",
        "comment": "uuid",
        "cursor_timestamp": "datetime",
        "cursor_id": "uuid",
    },
)


def _viewer_shape(viewer) -> tuple[tuple[bool, bool], dict[str, Any]]:
    signed_in = viewer is not None and viewer.is_authenticated
    values = {"viewer": viewer.pk} if signed_in else {}
    return (signed_in, signed_in and is_moderator(viewer)), values


def fetch_comments(*, viewer, post_id, cursor, backward: bool, limit: int) -> list[dict]:
    """Up to `limit` comment rows of the post after `cursor` (a
    `core.pagination.Cursor` or None), oldest first (newest first when `backward`)."""
    kind, values = _viewer_shape(viewer)
    direction = None if cursor is None else ("backward" if backward else "forward")
    if cursor is not None:
        values["cursor_timestamp"], values["cursor_id"] = cursor.values
    return _comments.run((*kind, direction, limit, False), post=post_id, **values)


def fetch_comment(*, viewer, post_id, comment_id) -> dict | None:
    """The comment's row, None if it is not on that post or hidden from `viewer`."""
    kind, values = _viewer_shape(viewer)
    rows = _comments.run((*kind, None, 1, True), post=post_id, comment=comment_id, **values)
    return rows[0] if rows else None


def render_comments(rows: list[dict], request) -> list[dict]:
    return COMMENT.renderer(request).many(rows)
