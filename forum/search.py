"""Forum search: posts by text and tag, users by handle or display name.

On Postgres, posts are matched with full-text search on `ForumPost.search_vector`
(tags weighted above content), a stored generated column with the GIN index
`forum_post_search_idx` (migration 0005): ranking reads the stored document
instead of parsing every matching post again. Users are matched with
pg_trgm similarity on `username` and `display_name`, each with a GIN trigram
index. On SQLite both fall back to case-insensitive substring matching.

Visibility is the feed's: posts come from `visible_posts`, users from
`users.selectors.users_for`.
"""

from django.conf import settings
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest

from users.models import Profile, User
from users.selectors import users_for

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
    return list(user_search_queryset(viewer=viewer, q=q)[: _limit()])


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


def _similar(field: str, q: str) -> Q:
    """`field %> q`: `q` is similar to the field or to a part of it (pg_trgm word
    similarity), so "smi" finds "Robert Smith". One operator, not an OR of two,
    keeps the trigram index the planner's choice.

    The lookup is used directly so `django.contrib.postgres` need not be installed.
    """
    return Q(TrigramWordSimilar(F(field), q))


def user_search_queryset(*, viewer, q: str) -> QuerySet[User]:
    """Users matching `q` by handle or display name, most similar first."""
    users = users_for(viewer)
    if _on_postgres():
        # Each half is answered by its own trigram index; together they name
        # the candidates, so the join to profiles happens for matches only.
        by_username = User.objects.filter(_similar("username", q)).order_by().values("pk")
        by_display_name = (
            Profile.objects.filter(_similar("display_name", q)).order_by().values("user_id")
        )
        similarity = Greatest(
            Coalesce(TrigramSimilarity("username", q), 0.0),
            Coalesce(TrigramWordSimilarity(q, "username"), 0.0),
            TrigramSimilarity("profile__display_name", q),
            TrigramWordSimilarity(q, "profile__display_name"),
        )
        users = (
            users.filter(pk__in=by_username.union(by_display_name))
            .annotate(similarity=similarity)
            .order_by("-similarity", "username", "pk")
        )
    else:
        users = users.filter(
            Q(username__icontains=q) | Q(profile__display_name__icontains=q)
        ).order_by("username", "pk")
    return users
