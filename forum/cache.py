"""Shared caches of the forum (Django's cache: Redis when configured), both
versioned by `core.cache.VersionedCache`.

Post bodies: the detail body of a public, not hidden post, as `PostSerializer`
renders it, minus everything that is not the post's own: the viewer's
`is_liked` and the author summary are read fresh on every hit, in one query.
Posts that are not public or are hidden are never cached, so a cached body
is one every signed-in viewer may see, but for blocks: the hit's one query
finds no author when a block stands between viewer and author, and the request
falls back to the database's visibility rule. Every write that changes what a body
shows calls `invalidate_post`.

The popular tags (`GET /forum/tags/`): counts of public, not hidden posts, the
same for every viewer. Writes that change a post's tags or whether a tagged
post counts call `invalidate_tags`; a short TTL covers the rest (admin edits,
posts leaving with a deleted account).
"""

import hashlib

from django.conf import settings

from core.cache import VersionedCache, ttl_for_signed_urls

# Keys of PostSerializer's output that are not part of the shared body.
PER_VIEWER_FIELDS = ("is_liked",)
AUTHOR_FIELD = "user"


_posts = VersionedCache(
    "forum:post", ttl=lambda: ttl_for_signed_urls(int(settings.FORUM["CACHE_SECONDS"]))
)


def enabled() -> bool:
    return _posts.enabled()


def current_version(post_id) -> str:
    return _posts.current_version(post_id)


def cached_detail(*, viewer, post_id, version: str, origin: str, context: dict) -> dict | None:
    """The post as `PostSerializer` renders it for `viewer`, from the shared body
    plus one query for the author and the viewer's like; None on a miss."""
    from users.serializers import UserSummarySerializer

    from .selectors import author_with_like
    from .serializers import PostSerializer

    # Media URLs are absolute, built from the request's scheme and host.
    cached = _posts.get(post_id, version, origin)
    if cached is None:
        return None
    author = author_with_like(viewer=viewer, author_id=cached["author_id"], post_id=post_id)
    if author is None:  # gone with its posts since, or blocked either way
        return None
    body = {
        **cached["body"],
        AUTHOR_FIELD: UserSummarySerializer(author, context=context).data,
        "is_liked": author.likes_post,
    }
    return {name: body[name] for name in PostSerializer.Meta.fields}


def store_body(*, post, version: str, origin: str, rendered: dict) -> None:
    """Keep the shared part of a rendered post, if every viewer may see it."""
    from .models import Privacy

    if post.privacy != Privacy.PUBLIC or post.hidden_at is not None:
        return
    shared = {k: v for k, v in rendered.items() if k not in PER_VIEWER_FIELDS and k != AUTHOR_FIELD}
    _posts.set(post.pk, version, {"author_id": str(post.user_id), "body": shared}, origin)


def invalidate_post(post_id) -> None:
    _posts.invalidate(post_id)


# --- popular tags -------------------------------------------------------------

_tags = VersionedCache("forum:tags", ttl=lambda: int(settings.FORUM["TAGS_CACHE_SECONDS"]))
_TAG_LIST = "popular"


def popular_tags(*, prefix: str = "") -> list[dict]:
    """`forum.selectors.popular_tags` through the shared cache: [{name, post_count}]."""
    from .selectors import popular_tags as read_popular_tags

    limit = int(settings.FORUM["POPULAR_TAGS"])
    if not _tags.enabled():
        return read_popular_tags(prefix=prefix, limit=limit)
    # The prefix comes from the query string: hashed, any text makes a valid key.
    part = f"{limit}:{hashlib.sha256(prefix.encode()).hexdigest()[:32]}"
    version = _tags.current_version(_TAG_LIST)
    tags = _tags.get(_TAG_LIST, version, part)
    if tags is None:
        tags = read_popular_tags(prefix=prefix, limit=limit)
        _tags.set(_TAG_LIST, version, tags, part)
    return tags


def invalidate_tags() -> None:
    _tags.invalidate(_TAG_LIST)
