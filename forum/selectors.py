"""Forum reads. Every path that reads posts starts from `visible_posts`."""

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Value

from .models import ForumComment, ForumPost, Media, PostLike, Tag


def visible_posts(*, viewer) -> QuerySet[ForumPost]:
    return ForumPost.objects.visible_to(viewer)


def post_feed(*, viewer, author_id=None, tag: str | None = None, following: bool = False):
    """Posts for lists and detail: author and profile joined, tags prefetched,
    the viewer's `is_liked` computed in the same query."""
    qs = visible_posts(viewer=viewer).select_related("user__profile")
    qs = qs.prefetch_related(
        Prefetch("tags", queryset=Tag.objects.only("id", "name")),
        Prefetch("media", queryset=Media.objects.order_by("position", "created_at")),
    )
    if viewer is not None and viewer.is_authenticated:
        qs = qs.annotate(is_liked=Exists(PostLike.objects.filter(post=OuterRef("pk"), user=viewer)))
    else:
        qs = qs.annotate(is_liked=Value(False))
    if author_id:
        qs = qs.filter(user_id=author_id)
    if tag:
        qs = qs.filter(tags__name=tag.strip().lower().lstrip("#"))
    if following and viewer is not None and viewer.is_authenticated:
        from users.models import Follow

        qs = qs.filter(user__in=Follow.objects.filter(follower=viewer).values("followee_id"))
    return qs


def can_view_post(*, viewer, post_id) -> bool:
    try:
        return visible_posts(viewer=viewer).filter(pk=post_id).exists()
    except (ValueError, TypeError, ValidationError):
        return False


def post_comments(*, post: ForumPost) -> QuerySet[ForumComment]:
    return ForumComment.objects.filter(post=post).select_related("user__profile")
