"""The feed (`GET /forum/posts/`), built for the request rate it takes.

A page is one prepared query (`core.prepared`): the posts (the visibility
rule, the filters, the keyset, the author's name and avatar and the viewer's
`is_liked`, all from `selectors.feed_posts`), each with its media as one JSON
array (`_MediaArray`).
Rows are rendered by the plain functions below into exactly what
`PostSerializer` renders for the same post (tests hold the two together);
a page costs no queryset building, no SQL compilation, no model instances
and no serializer per post, which made it ~3x cheaper than serialising
model instances (BENCHMARKS.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Hashable
from typing import Any

from django.conf import settings
from django.db.models import JSONField, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone

from core.media import storage_url_builder
from core.pagination import keyset_filter, reversed_ordering
from core.prepared import PreparedQuery
from users.avatars import avatar_url_builder
from users.roles import is_moderator

from . import selectors
from .models import Media, tag_name
from .pagination import PostPagination

POST_COLUMNS = (
    "id",
    "user_id",
    "user__username",
    "user__profile__avatar",
    "content",
    "timestamp",
    "like_count",
    "comment_count",
    "is_liked",
    "privacy",
    "tag_names",
    "is_edited",
    "hidden_at",
    "media_items",
)
MEDIA_FIELDS = ("id", "file", "width", "height", "content_type", "thumbnails")


class _MediaArray(Subquery):
    """The post's media (a subquery of `item`, `position`, `created_at`) as one JSON
    array of the items, in their order on the post; [] for none. jsonb on
    PostgreSQL, whose rows Django's JSONField decodes as it does stored JSON."""

    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, **extra)
        aggregate = "JSONB_AGG(_media.item ORDER BY _media.position, _media.created_at)"
        # Only Django-compiled SQL is joined here; the values stay in `params`.
        return f"COALESCE((SELECT {aggregate} FROM {sql} _media), '[]'::jsonb)", params  # noqa: S608

    def as_sql(self, compiler, connection, **extra):
        # SQLite (the embedded default): the subquery's own ORDER BY keeps the order.
        sql, params = super().as_sql(compiler, connection, **extra)
        return f"(SELECT JSON_GROUP_ARRAY(JSON(_media.item)) FROM {sql} _media)", params  # noqa: S608


def _media_of_post():
    media = Media.objects.filter(post_id=OuterRef("pk")).order_by("position", "created_at")
    item = JSONObject(**{name: name for name in MEDIA_FIELDS})
    return _MediaArray(media.values("position", "created_at", item=item))


def _build_posts(shape: Hashable, p: dict[str, Any]):
    signed_in, moderator, by_author, by_tag, following, direction, limit = shape
    viewer = selectors.stand_in_viewer(p["viewer"], moderator=moderator) if signed_in else None
    posts = selectors.feed_posts(
        viewer=viewer,
        author_id=p["author"] if by_author else None,
        tag=p["tag"] if by_tag else None,
        following=following,
    )
    ordering = PostPagination.ordering
    posts = posts.order_by(*(reversed_ordering(ordering) if direction == "backward" else ordering))
    if direction is not None:
        bound = (p["cursor_timestamp"], p["cursor_id"])
        posts = posts.filter(keyset_filter(ordering, bound, forward=direction == "forward"))
    return posts.annotate(media_items=_media_of_post()).values(*POST_COLUMNS)[:limit]


_posts = PreparedQuery(
    _build_posts,
    params={
        "viewer": "uuid",
        "author": "uuid",
        "tag": "str",
        "cursor_timestamp": "datetime",
        "cursor_id": "uuid",
    },
)


def _max_posts() -> int:
    return int(settings.API_MAX_PAGE_SIZE) + 1


def fetch_posts(*, viewer, filters: dict, cursor, backward: bool, limit: int) -> list[dict]:
    """Up to `limit` feed rows after `cursor` (a `core.pagination.Cursor` or None),
    newest first (oldest first when `backward`), as `.values()` dicts."""
    signed_in = viewer is not None and viewer.is_authenticated
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


# --- rendering: what PostSerializer renders, from rows -----------------------


def _uuid_text(value: str) -> str:
    """A UUID from JSON in its hyphenated form (SQLite keeps UUIDs as 32 hex digits)."""
    return value if len(value) == 36 else str(uuid.UUID(value))


def _iso_8601(value, zone) -> str:
    """DRF's DateTimeField rendering (ISO 8601, `Z` for UTC), without the field."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class _Renderer:
    """What every post of a page shares: URL builders for the request's origin and
    the current time zone."""

    def __init__(self, request) -> None:
        self.media_url = storage_url_builder(Media._meta.get_field("file").storage, request)
        self.avatar_url = avatar_url_builder(request)
        self.zone = timezone.get_current_timezone()

    def media(self, row: dict) -> dict:
        url = self.media_url
        thumbnails = row["thumbnails"] or {}
        if isinstance(thumbnails, str):  # SQLite's JSON_OBJECT keeps stored JSON as text
            thumbnails = json.loads(thumbnails)
        return {
            "id": _uuid_text(row["id"]),
            "url": url(row["file"]),
            "width": row["width"],
            "height": row["height"],
            "content_type": row["content_type"],
            "thumbnails": {size: url(name) for size, name in thumbnails.items()},
        }

    def post(self, row: dict) -> dict:
        rendered_media = [self.media(item) for item in row["media_items"]]
        avatar = row["user__profile__avatar"]
        return {
            "id": str(row["id"]),
            "user": {
                "id": str(row["user_id"]),
                "username": row["user__username"],
                "avatar_url": self.avatar_url(avatar),
            },
            "content": row["content"],
            "media_url": rendered_media[0]["url"] if rendered_media else None,
            "timestamp": _iso_8601(row["timestamp"], self.zone),
            "like_count": row["like_count"],
            "comment_count": row["comment_count"],
            "is_liked": bool(row["is_liked"]),
            "privacy": row["privacy"],
            "tags": row["tag_names"].split(),
            "is_edited": row["is_edited"],
            "is_hidden": row["hidden_at"] is not None,
            "media": rendered_media,
        }


def render_posts(rows: list[dict], request) -> list[dict]:
    """Feed rows (`fetch_posts`) as PostSerializer renders them."""
    renderer = _Renderer(request)
    return [renderer.post(row) for row in rows]
