"""Shared cache of public post bodies (Django's cache: Redis when configured).

What is cached: the detail body of a public, not hidden post, as `PostSerializer`
renders it, minus everything that is not the post's own: the viewer's
`is_liked` and the author summary are read fresh on every hit, in one query.
Posts that are not public or are hidden are never cached, so a cached body
is one every signed-in viewer may see.

Invalidation: each post has a version key; a body is stored under the version
read before the database was. Every write that changes what the body shows
calls `invalidate_post`, which deletes the version at once and again after
commit: a reader that raced the write stored its body under a version nobody
reads any more. A missing version simply starts a new one.
"""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

# Keys of PostSerializer's output that are not part of the shared body.
PER_VIEWER_FIELDS = ("is_liked",)
AUTHOR_FIELD = "user"


def _ttl() -> int:
    seconds = int(settings.FORUM["CACHE_SECONDS"])
    # Signed media URLs must not outlive their signature in the cache.
    if getattr(settings, "AWS_STORAGE_BUCKET_NAME", "") and settings.AWS_QUERYSTRING_AUTH:
        seconds = min(seconds, settings.AWS_QUERYSTRING_EXPIRE // 2)
    return seconds


def enabled() -> bool:
    return _ttl() > 0


def _version_key(post_id) -> str:
    return f"forum:post:{post_id}:version"


def _body_key(post_id, version: str, origin: str) -> str:
    # Media URLs are absolute, built from the request's scheme and host.
    return f"forum:post:{post_id}:{version}:{origin}"


def current_version(post_id) -> str:
    key = _version_key(post_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=_ttl())
        version = cache.get(key) or ""
    return version


def cached_detail(*, viewer, post_id, version: str, origin: str, context: dict) -> dict | None:
    """The post as `PostSerializer` renders it for `viewer`, from the shared body
    plus one query for the author and the viewer's like; None on a miss."""
    from users.serializers import UserSummarySerializer

    from .selectors import author_with_like
    from .serializers import PostSerializer

    cached = cache.get(_body_key(post_id, version, origin))
    if cached is None:
        return None
    author = author_with_like(viewer=viewer, author_id=cached["author_id"], post_id=post_id)
    if author is None:  # gone with its posts since
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
    cache.set(
        _body_key(post.pk, version, origin),
        {"author_id": str(post.user_id), "body": shared},
        timeout=_ttl(),
    )


def invalidate_post(post_id) -> None:
    key = _version_key(post_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key), robust=True)
