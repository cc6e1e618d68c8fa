"""Posts and comments as the API shows them: each declared once (`core.read_model`).

The feed, the post detail, search, the create/edit/moderation responses, the shared
post cache and the realtime events all render these two definitions, from
`.values(*POST.columns)` rows (`with_post_columns` adds the annotations they
read). `PostSerializer` and `CommentSerializer` stay for the OpenAPI schema; a
test fails if their fields differ from these (`core.read_model.serializer_drift`).

Adding a field: the model field, its migration, and one line here (DESIGN.md).
"""

from __future__ import annotations

import json
import uuid

from django.db.models import JSONField, OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone

from core.media import media_url_builder
from core.read_model import ReadModel, column, field, per_viewer
from users.avatars import avatar_url_builder

from .models import Media, Privacy


class Urls:
    """What every row of one request shares: URL builders for the request's origin
    (none: storage URLs as they are) and the current time zone. `media_url(name,
    public)`: a plain URL for a public post's media, else a signed, expiring one
    (core.media)."""

    def __init__(self, request=None) -> None:
        self.media_url = media_url_builder(Media._meta.get_field("file").storage, request)
        self.avatar_url = avatar_url_builder(request)
        self.zone = timezone.get_current_timezone()


def iso_8601(value, zone) -> str:
    """DRF's DateTimeField rendering (ISO 8601, `Z` for UTC), without the field."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _uuid_text(value: str) -> str:
    """A UUID from JSON in its hyphenated form (SQLite keeps UUIDs as 32 hex digits)."""
    return value if len(value) == 36 else str(uuid.UUID(value))


def _optional_id(value) -> str | None:
    return None if value is None else str(value)


# The author summary, `UserSummarySerializer`'s shape: {id, username, avatar_url}.
AUTHOR_COLUMNS = ("user_id", "user__username", "user__profile__avatar")


def _author(row, urls: Urls) -> dict:
    avatar = row["user__profile__avatar"]
    return {
        "id": str(row["user_id"]),
        "username": row["user__username"],
        "avatar_url": urls.avatar_url(avatar),
    }


def _timestamp(row, urls: Urls) -> str:
    return iso_8601(row["timestamp"], urls.zone)


def _is_hidden(row, _urls) -> bool:
    return row["hidden_at"] is not None


def author_field():
    return field("user", columns=AUTHOR_COLUMNS, render=_author)


def is_liked_field():
    # Events go to many viewers at once: `false`, which for a new post or comment
    # is every viewer's value (nobody has liked it yet).
    return per_viewer(column("is_liked", render=bool), everyone=False)


# --- media of a post, one JSON array per row ------------------------------------

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


def _shown_to_all(row) -> bool:
    """Whether the post's media may have plain, cacheable URLs: a public post
    nobody hid. Its other media go behind signed, expiring URLs."""
    return row["privacy"] == Privacy.PUBLIC and row["hidden_at"] is None


def _one_media(item: dict, urls: Urls, public: bool) -> dict:
    def url(name: str) -> str:
        return urls.media_url(name, public)

    thumbnails = item["thumbnails"] or {}
    if isinstance(thumbnails, str):  # SQLite's JSON_OBJECT keeps stored JSON as text
        thumbnails = json.loads(thumbnails)
    return {
        "id": _uuid_text(item["id"]),
        "url": url(item["file"]),
        "width": item["width"],
        "height": item["height"],
        "content_type": item["content_type"],
        "thumbnails": {size: url(name) for size, name in thumbnails.items()},
    }


def _media(row, urls: Urls) -> list[dict]:
    public = _shown_to_all(row)
    return [_one_media(item, urls, public) for item in row["media_items"]]


def _first_media_url(row, urls: Urls) -> str | None:
    items = row["media_items"]
    return urls.media_url(items[0]["file"], _shown_to_all(row)) if items else None


MEDIA_COLUMNS = ("media_items", "privacy", "hidden_at")


# --- the two resources ------------------------------------------------------------

POST = ReadModel(
    "post",
    [
        column("id", render=str),
        author_field(),
        column("content"),
        field("media_url", columns=MEDIA_COLUMNS, render=_first_media_url),
        field("timestamp", columns=("timestamp",), render=_timestamp),
        column("like_count"),
        column("comment_count"),
        is_liked_field(),
        column("privacy"),
        column("tags", "tag_names", render=str.split),
        column("is_edited"),
        field("is_hidden", columns=("hidden_at",), render=_is_hidden),
        field("media", columns=MEDIA_COLUMNS, render=_media),
    ],
    context=Urls,
)


def with_post_columns(posts: QuerySet, *names: str) -> QuerySet:
    """`posts` (annotated with `is_liked`, as `selectors.feed_posts` does) as the
    rows `POST` renders: every field's columns, or only the named fields'."""
    columns = POST.columns_of(*names) if names else POST.columns
    if "media_items" in columns:
        posts = posts.annotate(media_items=_media_of_post())
    return posts.values(*columns)


COMMENT = ReadModel(
    "comment",
    [
        column("id", render=str),
        author_field(),
        column("content"),
        field("timestamp", columns=("timestamp",), render=_timestamp),
        column("parent", "parent_id", render=_optional_id),
        column("depth"),
        column("is_edited"),
        column("is_deleted"),
        column("like_count"),
        is_liked_field(),
        field("is_hidden", columns=("hidden_at",), render=_is_hidden),
    ],
    context=Urls,
)
