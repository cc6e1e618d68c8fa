"""Shared caches of the forum (Django's cache: Redis when configured), both
versioned by `core.cache.VersionedCache`.

Post bodies: the shared part of a public, not hidden post as `read_models.POST`
renders it (`core.read_model.SharedPart`: per-viewer fields such as `is_liked`
are not in it by construction). A hit reads `feed.FRESH_ON_HIT` (the author and
the viewer's like) in one prepared query through the visibility rule, so a
block between viewer and author, or a renamed author, shows at once; no row
there is a miss, and the request falls back to the full read. Posts that are
not public or are hidden are never cached. Every write that changes what a body
shows calls `invalidate_post`.

The popular tags (`GET /forum/tags/`): counts of public, not hidden posts, the
same for every viewer. Writes that change a post's tags or whether a tagged
post counts call `invalidate_tags`; a short TTL covers the rest (admin edits,
posts leaving with a deleted account).
"""

import hashlib

from django.conf import settings

from core.cache import VersionedCache, ttl_for_signed_urls
from core.read_model import Renderer, SharedPart

from .feed import FRESH_ON_HIT, fetch_fresh_part
from .models import Privacy
from .selectors import popular_tags as read_popular_tags

_posts = VersionedCache(
    "forum:post", ttl=lambda: ttl_for_signed_urls(int(settings.FORUM["CACHE_SECONDS"]))
)


def enabled() -> bool:
    return _posts.enabled()


def current_version(post_id) -> str:
    return _posts.current_version(post_id)


def cached_detail(*, viewer, post_id, version: str, origin: str, renderer: Renderer) -> dict | None:
    """The post as the API shows it to `viewer`, from the shared part plus one
    query for the author and the viewer's like; None on a miss."""
    # Media URLs are absolute, built from the request's scheme and host.
    shared = renderer.model.shared_from(_posts.get(post_id, version, origin))
    if shared is None:
        return None
    row = fetch_fresh_part(viewer=viewer, post_id=post_id)
    if row is None:  # gone since, or not visible to this viewer (a block)
        return None
    fresh = renderer.fields(row, [name for name in FRESH_ON_HIT if name in shared.data])
    return renderer.merge(shared, renderer.viewer(row), fresh=fresh)


def store_body(*, post_id, row: dict, version: str, origin: str, shared: SharedPart) -> None:
    """Keep the shared part of a rendered post, if every viewer may see it."""
    if not isinstance(shared, SharedPart):  # a full rendering would share is_liked
        raise TypeError("only a read model's SharedPart is stored")
    if row["privacy"] != Privacy.PUBLIC or row["hidden_at"] is not None:
        return
    _posts.set(post_id, version, shared.data, origin)


def invalidate_post(post_id) -> None:
    _posts.invalidate(post_id)


# --- popular tags -------------------------------------------------------------

_tags = VersionedCache("forum:tags", ttl=lambda: int(settings.FORUM["TAGS_CACHE_SECONDS"]))
_TAG_LIST = "popular"


def popular_tags(*, prefix: str = "") -> list[dict]:
    """`forum.selectors.popular_tags` through the shared cache: [{name, post_count}]."""
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
