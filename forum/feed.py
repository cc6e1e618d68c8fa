"""Reads of posts as the API shows them (`read_models.POST`), built for the
request rate they take: the feed (`GET /forum/posts/`), one post (detail,
create/edit responses, events) and a cached post's per-viewer part.

Every read is one prepared query (`core.prepared`) over `selectors.feed_posts`
(the visibility rule, the filters, the viewer's `is_liked`), with the author's
name and avatar joined and the post's media as one JSON array. Rows are
rendered by `read_models.POST` into exactly what `PostSerializer` renders for
the same post (tests hold the two together); a page costs no queryset
building, no SQL compilation, no model instances and no serializer per post,
which made it ~3x cheaper than serialising model instances (BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from django.conf import settings

from core.pagination import keyset_filter, reversed_ordering
from core.prepared import PreparedQuery
from users.roles import is_moderator

from . import selectors
from .models import tag_name
from .pagination import PostPagination
from .read_models import POST, with_post_columns

# What a cached post's hit reads fresh: the author (a renamed author or new
# avatar shows at once) and the viewer's like.
FRESH_ON_HIT = ("user", "is_liked")


def _build_posts(shape: Hashable, p: dict[str, Any]):
    signed_in, moderator, by_author, by_tag, following, direction, limit, one, fields = shape
    viewer = selectors.stand_in_viewer(p["viewer"], moderator=moderator) if signed_in else None
    posts = selectors.feed_posts(
        viewer=viewer,
        author_id=p["author"] if by_author else None,
        tag=p["tag"] if by_tag else None,
        following=following,
    )
    if one:
        posts = posts.filter(pk=p["post"])
    ordering = PostPagination.ordering
    posts = posts.order_by(*(reversed_ordering(ordering) if direction == "backward" else ordering))
    if direction is not None:
        bound = (p["cursor_timestamp"], p["cursor_id"])
        posts = posts.filter(keyset_filter(ordering, bound, forward=direction == "forward"))
    return with_post_columns(posts, *fields)[:limit]


_posts = PreparedQuery(
    _build_posts,
    params={
        "viewer": "uuid",
        "author": "uuid",
        "tag": "str",
        "cursor_timestamp": "datetime",
        "cursor_id": "uuid",
        "post": "uuid",
    },
)


def _max_posts() -> int:
    return int(settings.API_MAX_PAGE_SIZE) + 1


def fetch_posts(*, viewer, filters: dict, cursor, backward: bool, limit: int) -> list[dict]:
    """Up to `limit` feed rows after `cursor` (a `core.pagination.Cursor` or None),
    newest first (oldest first when `backward`), as `.values()` dicts."""
    signed_in = _signed_in(viewer)
    author = filters.get("author")
    tag = tag_name(filters["tag"]) if filters.get("tag") else None
    following = bool(filters.get("following")) and signed_in
    direction = None if cursor is None else ("backward" if backward else "forward")
    shape = (
        signed_in,
        signed_in and is_moderator(viewer),
        author is not None,
        tag is not None,
        following,
        direction,
        limit,
        False,
        (),
    )
    values: dict[str, Any] = {}
    if signed_in:
        values["viewer"] = viewer.pk
    if author is not None:
        values["author"] = author
    if tag is not None:
        values["tag"] = tag
    if cursor is not None:
        values["cursor_timestamp"], values["cursor_id"] = cursor.values
    return _posts.run(shape, **values)


def _signed_in(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


def _one(viewer, post_id, fields: tuple[str, ...]) -> dict | None:
    signed_in = _signed_in(viewer)
    shape = (signed_in, signed_in and is_moderator(viewer), False, False, False, None, 1, True)
    values = {"post": post_id, **({"viewer": viewer.pk} if signed_in else {})}
    rows = _posts.run((*shape, fields), **values)
    return rows[0] if rows else None


def fetch_post(*, viewer, post_id) -> dict | None:
    """The post's row (every `POST` column) if `viewer` may see it, else None."""
    return _one(viewer, post_id, ())


def fetch_fresh_part(*, viewer, post_id) -> dict | None:
    """Only the `FRESH_ON_HIT` columns of a visible post: what a hit on the shared
    cache reads (forum.cache), through the same visibility rule."""
    return _one(viewer, post_id, FRESH_ON_HIT)


def render_posts(rows: list[dict], request) -> list[dict]:
    """Feed rows (`fetch_posts`) as the API shows them."""
    return POST.renderer(request).many(rows)
