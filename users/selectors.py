"""Reads of the users domain. Every API read of users starts from `visible_users`."""

from __future__ import annotations

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db import connection
from django.db.models import BooleanField, Exists, F, FloatField, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Greatest, Now

from core import error_codes as core_codes
from core.exceptions import NotFound

from .models import Block, Follow, Profile, User


def visible_users() -> QuerySet[User]:
    """The one rule for which users others may see: active and not suspended now."""
    return User.objects.filter(is_active=True).exclude(suspended_until__gt=Now())


# --- blocks -----------------------------------------------------------------
# Both are subqueries (`.values(...)`), meant for `field__in=` inside the
# caller's own query: a block check never costs a query of its own.


def ids_blocked_by(viewer) -> QuerySet[Block]:
    """Ids of the users `viewer` blocked."""
    return Block.objects.filter(blocker_id=viewer.pk).values("blocked_id")


def ids_blocking(viewer) -> QuerySet[Block]:
    """Ids of the users who blocked `viewer`: for `viewer` they do not exist."""
    return Block.objects.filter(blocked_id=viewer.pk).values("blocker_id")


def blocked_either_way(viewer) -> set:
    """Ids of the users `viewer` blocked and of those who blocked `viewer`."""
    rows = Block.objects.filter(Q(blocker_id=viewer.pk) | Q(blocked_id=viewer.pk))
    return {
        blocked if blocker == viewer.pk else blocker
        for blocker, blocked in rows.values_list("blocker_id", "blocked_id")
    }


def is_blocked_between(user_id, other_id) -> bool:
    """Whether either of the two blocked the other (one query on the block indexes)."""
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()


def _authenticated(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


def _is_following(viewer):
    """`is_following` for rows of users: whether `viewer` follows the row's user."""
    if _authenticated(viewer):
        return Exists(Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("pk")))
    return Value(False, output_field=BooleanField())


def users_visible_to(viewer) -> QuerySet[User]:
    """Users `viewer` may see: visible users, less those who blocked `viewer`."""
    users = visible_users()
    if _authenticated(viewer):
        users = users.exclude(pk__in=ids_blocking(viewer))
    return users


def users_for(viewer) -> QuerySet[User]:
    """Users `viewer` may see, with their profile and `is_following`.

    `is_following`: whether `viewer` follows the row's user, as one EXISTS
    subquery, so a page of users costs one query whatever its size.
    """
    return (
        users_visible_to(viewer)
        .select_related("profile")
        .annotate(is_following=_is_following(viewer))
    )


def get_user_for(viewer, user_id) -> User:
    """One visible user, or 404 (inactive and suspended users do not exist for the API)."""
    try:
        return users_for(viewer).get(pk=user_id)
    except (User.DoesNotExist, ValueError) as exc:
        raise NotFound(core_codes.NOT_FOUND, "Not found.") from exc


def following_state(*, viewer, user_id) -> bool | None:
    """Whether `viewer` follows the user, or None when `viewer` may not see that user.

    What a cached profile (users.cache) needs fresh on every read: one narrow query,
    without the profile row."""
    try:
        return (
            users_visible_to(viewer)
            .filter(pk=user_id)
            .annotate(is_following=_is_following(viewer))
            .values_list("is_following", flat=True)
            .first()
        )
    except ValueError:
        return None


def me(user: User) -> User:
    """The authenticated user with their profile (one query)."""
    return User.objects.select_related("profile").get(pk=user.pk)


# The follow that puts a user in a list, exposed for keyset ordering
# (users.pagination.FollowPagination orders on these two annotations).
FOLLOWED_AT = "followed_at"
FOLLOW_ID = "follow_id"


def followers_of(*, viewer, user: User) -> QuerySet[User]:
    """Users following `user`, each annotated with when and by which follow row."""
    return (
        users_for(viewer)
        .filter(following_set__followee=user)
        .annotate(
            **{
                FOLLOWED_AT: F("following_set__created_at"),
                FOLLOW_ID: F("following_set__id"),
            }
        )
    )


def following_of(*, viewer, user: User) -> QuerySet[User]:
    """Users `user` follows, each annotated with when and by which follow row."""
    return (
        users_for(viewer)
        .filter(follower_set__follower=user)
        .annotate(
            **{
                FOLLOWED_AT: F("follower_set__created_at"),
                FOLLOW_ID: F("follower_set__id"),
            }
        )
    )


def is_following(*, follower: User, followee: User) -> bool:
    return Follow.objects.filter(follower=follower, followee=followee).exists()


BLOCKED_AT = "blocked_at"
BLOCK_ID = "block_id"


def blocked_by(*, viewer) -> QuerySet[User]:
    """Users `viewer` blocked, each annotated with when and by which block row."""
    return (
        visible_users()
        .select_related("profile")
        .filter(blocks_received__blocker=viewer)
        .annotate(
            is_following=_is_following(viewer),
            **{BLOCKED_AT: F("blocks_received__created_at"), BLOCK_ID: F("blocks_received__id")},
        )
    )


# --- search -----------------------------------------------------------------
# Users by handle or display name: pg_trgm similarity on Postgres, each column
# with a GIN trigram index; case-insensitive substring matching on SQLite.


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


def _similar(field: str, q: str) -> Q:
    """`field %> q`: `q` is similar to the field or to a part of it (pg_trgm word
    similarity), so "smi" finds "Robert Smith". One operator, not an OR of two,
    keeps the trigram index the planner's choice.

    The lookup is used directly so `django.contrib.postgres` need not be installed.
    """
    return Q(TrigramWordSimilar(F(field), q))


def user_search_ordering() -> tuple[str, ...]:
    """The order of `search_users` as a keyset ordering (the last field unique):
    most similar first on Postgres, by handle on SQLite."""
    return ("-similarity", "username", "id") if _on_postgres() else ("username", "id")


def search_users(*, viewer, q: str) -> QuerySet[User]:
    """Users `viewer` may see (`users_for`) matching `q` by handle or display name,
    in `user_search_ordering()`."""
    users = users_for(viewer)
    if _on_postgres():
        # Each half is answered by its own trigram index; together they name
        # the candidates, so the join to profiles happens for matches only.
        by_username = User.objects.filter(_similar("username", q)).order_by().values("pk")
        by_display_name = (
            Profile.objects.filter(_similar("display_name", q)).order_by().values("user_id")
        )
        # pg_trgm answers `real`, shown rounded to float4's digits: read back from a
        # cursor, that rounded value would never equal the row's own. As double
        # precision it round-trips exactly, so a page boundary inside a tie holds.
        similarity = Cast(
            Greatest(
                Coalesce(TrigramSimilarity("username", q), 0.0),
                Coalesce(TrigramWordSimilarity(q, "username"), 0.0),
                TrigramSimilarity("profile__display_name", q),
                TrigramWordSimilarity(q, "profile__display_name"),
            ),
            FloatField(),
        )
        users = users.filter(pk__in=by_username.union(by_display_name)).annotate(
            similarity=similarity
        )
    else:
        users = users.filter(Q(username__icontains=q) | Q(profile__display_name__icontains=q))
    return users.order_by(*user_search_ordering())
