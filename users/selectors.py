"""Reads of the users domain. Every API read of users starts from `users_for`."""

from __future__ import annotations

from django.db.models import BooleanField, Exists, F, OuterRef, QuerySet, Value
from django.http import Http404

from .models import Follow, User


def users_for(viewer) -> QuerySet[User]:
    """Users others may see (active ones), with their profile and `is_following`.

    `is_following`: whether `viewer` follows the row's user, as one EXISTS
    subquery, so a page of users costs one query whatever its size.
    """
    queryset = User.objects.filter(is_active=True).select_related("profile")
    if viewer is not None and viewer.is_authenticated:
        following = Follow.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("pk"))
        return queryset.annotate(is_following=Exists(following))
    return queryset.annotate(is_following=Value(False, output_field=BooleanField()))


def get_user_for(viewer, user_id) -> User:
    """One visible user, or 404 (inactive users do not exist for the API)."""
    try:
        return users_for(viewer).get(pk=user_id)
    except (User.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


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
