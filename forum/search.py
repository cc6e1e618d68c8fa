"""Forum search: posts by text and tag, users by handle or display name.

On Postgres, posts are matched with full-text search on `ForumPost.search_vector`
(tags weighted above content), a stored generated column with the GIN index
`forum_post_search_idx` (migration 0005): ranking reads the stored document
instead of parsing every matching post again. On SQLite this falls back to
case-insensitive substring matching.

Visibility is the feed's: posts come from `visible_posts`. Users are
`users.selectors.search_users` (the users' own search route pages the same
query), cut to the first `FORUM_SEARCH_RESULTS`.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, QuerySet

from users import selectors as user_selectors
from users.models import User

from .models import SEARCH_CONFIG, ForumPost, tag_name
from .read_models import with_post_columns
from .selectors import feed_posts


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


def _limit() -> int:
    return settings.FORUM["SEARCH_RESULTS"]


def search_posts(*, viewer, q: str) -> list[dict]:
    """The best matches as rows `read_models.POST` renders."""
    return list(with_post_columns(post_search_queryset(viewer=viewer, q=q))[: _limit()])


def search_users(*, viewer, q: str) -> list[User]:
    """The best matches of `users.selectors.search_users` (also `GET users/search/`)."""
    return list(user_selectors.search_users(viewer=viewer, q=q)[: _limit()])


def post_search_queryset(*, viewer, q: str) -> QuerySet[ForumPost]:
    """Posts the viewer may see matching `q`, best first (newest first on SQLite)."""
    posts = feed_posts(viewer=viewer)
    if _on_postgres():
        query = SearchQuery(q, config=SEARCH_CONFIG, search_type="websearch")
        posts = (
            posts.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-timestamp", "-id")
        )
    else:
        tag = tag_name(q)
        posts = posts.filter(Q(content__icontains=q) | Q(tag_names__icontains=tag)).order_by(
            "-timestamp", "-id"
        )
    return posts
