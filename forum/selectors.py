"""Forum reads. Every path that reads posts starts from `visible_posts`."""

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Value

from core import error_codes as core_codes
from core.exceptions import NotFound
from core.prepared import PreparedQuery
from core.types import parse_uuid, parse_uuids
from users.models import Follow, User
from users.roles import is_moderator

from .models import (
    CommentLike,
    ForumComment,
    ForumPost,
    Media,
    PostLike,
    Privacy,
    Report,
    Tag,
    tag_name,
)


def visible_posts(*, viewer) -> QuerySet[ForumPost]:
    return ForumPost.objects.visible_to(viewer)


def stand_in_viewer(user_id, *, moderator: bool) -> User:
    """A user with a placeholder id, for building a query for a shape of viewer
    (`core.prepared`): the visibility rule reads only the id and the role."""
    viewer = User(pk=user_id, is_staff=moderator)
    viewer._is_moderator = moderator
    viewer._state.adding = False
    return viewer


VISIBLE_POST_FIELDS = ("id", "user_id", "privacy", "hidden_at")


def _build_visible_post(shape, p):
    signed_in, moderator = shape
    viewer = stand_in_viewer(p["viewer"], moderator=moderator) if signed_in else None
    return visible_posts(viewer=viewer).filter(pk=p["post"]).values(*VISIBLE_POST_FIELDS)


_visible_post = PreparedQuery(_build_visible_post, params={"viewer": "uuid", "post": "uuid"})


def visible_post(*, viewer, post_id) -> ForumPost | None:
    """The post if `viewer` may see it, with only `VISIBLE_POST_FIELDS` loaded; None
    if not (or no such post). `visible_posts`, compiled once per kind of viewer:
    writes that start from a visible post (likes) skip building the rule's query."""
    post_id = parse_uuid(post_id)
    if post_id is None:
        return None
    signed_in = viewer is not None and viewer.is_authenticated
    shape = (signed_in, signed_in and is_moderator(viewer))
    values = {"post": post_id, **({"viewer": viewer.pk} if signed_in else {})}
    rows = _visible_post.run(shape, **values)
    if not rows:
        return None
    return ForumPost.from_db(
        "default", VISIBLE_POST_FIELDS, [rows[0][f] for f in VISIBLE_POST_FIELDS]
    )


def fetch_visible_post(*, viewer, post_id, whole: bool = False) -> ForumPost:
    """The post if `viewer` may see it, else `NotFound` (also for a malformed id).
    Only `VISIBLE_POST_FIELDS` loaded (the prepared `visible_post`), unless
    `whole`: the full row, for writes that change the post."""
    if not whole:
        post = visible_post(viewer=viewer, post_id=post_id)
        if post is None:
            raise NotFound(core_codes.NOT_FOUND, "No such post.")
        return post
    try:
        return visible_posts(viewer=viewer).get(pk=post_id)
    except (ForumPost.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise NotFound(core_codes.NOT_FOUND, "No such post.") from exc


def post_feed(*, viewer, author_id=None, tag: str | None = None, following: bool = False):
    """Posts for lists and detail: author and profile joined, media prefetched,
    the viewer's `is_liked` computed in the same query (tags come from the row's
    `tag_names`)."""
    qs = feed_posts(viewer=viewer, author_id=author_id, tag=tag, following=following)
    return qs.select_related("user__profile").prefetch_related(
        Prefetch("media", queryset=Media.objects.order_by("position", "created_at")),
    )


def feed_posts(*, viewer, author_id=None, tag: str | None = None, following: bool = False):
    """The posts of a feed with the viewer's `is_liked`, nothing joined: the filters
    the feed's list (`forum.feed`) and `post_feed` share."""
    qs = visible_posts(viewer=viewer)
    if viewer is not None and viewer.is_authenticated:
        qs = qs.annotate(is_liked=Exists(PostLike.objects.filter(post=OuterRef("pk"), user=viewer)))
    else:
        qs = qs.annotate(is_liked=Value(False))
    if author_id:
        qs = qs.filter(user_id=author_id)
    if tag:
        qs = qs.filter(tags__name=tag_name(tag))
    if following and viewer is not None and viewer.is_authenticated:
        qs = qs.filter(user__in=Follow.objects.filter(follower=viewer).values("followee_id"))
    return qs


def can_view_post(*, viewer, post_id) -> bool:
    post_id = parse_uuid(post_id)
    return post_id is not None and visible_posts(viewer=viewer).filter(pk=post_id).exists()


def visible_post_ids(*, viewer, post_ids) -> set[str]:
    """Which of `post_ids` (strings) `viewer` may see, in one query; malformed ids
    are left out."""
    wanted = parse_uuids(post_ids)
    if not wanted:
        return set()
    return {
        str(pk)
        for pk in visible_posts(viewer=viewer).filter(pk__in=wanted).values_list("pk", flat=True)
    }


def popular_tags(*, prefix: str = "", limit: int) -> list[dict]:
    """The `limit` tags on most public, not hidden posts, most used first: the same
    list for every viewer, so it can be shared (forum.cache.popular_tags)."""
    tags = Tag.objects.filter(posts__privacy=Privacy.PUBLIC, posts__hidden_at__isnull=True)
    if prefix:
        tags = tags.filter(name__startswith=prefix)
    tags = tags.annotate(post_count=Count("posts")).order_by("-post_count", "name")
    return list(tags.values("name", "post_count")[:limit])


def visible_comments(*, viewer) -> QuerySet[ForumComment]:
    """Comments the viewer may see: on visible posts, hidden ones to author and moderators."""
    return ForumComment.objects.visible_to(viewer)


def fetch_visible_comment(*, viewer, comment_id, live: bool = False) -> ForumComment:
    """The comment if `viewer` may see it (`visible_comments`), else `NotFound`.
    `live`: not a deleted placeholder either, for what acts on its content
    (likes, reports); only `id`, `post_id` and `user_id` are loaded then."""
    comments = visible_comments(viewer=viewer)
    if live:
        comments = comments.filter(is_deleted=False).only("id", "post_id", "user_id")
    try:
        return comments.get(pk=comment_id)
    except (ForumComment.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise NotFound(core_codes.NOT_FOUND, "No such comment.") from exc


def post_comments(*, post: ForumPost | uuid.UUID, viewer) -> QuerySet[ForumComment]:
    """Comments on `post` (which the caller checked the viewer may see), without
    those hidden from the viewer or by blocked authors, author and profile joined,
    the viewer's `is_liked` computed in the same query."""
    qs = (
        ForumComment.objects.filter(post=post)
        .not_hidden_from(viewer)
        .not_blocked_for(viewer)
        .select_related("user__profile")
    )
    if viewer is not None and viewer.is_authenticated:
        liked = CommentLike.objects.filter(comment=OuterRef("pk"), user=viewer)
        return qs.annotate(is_liked=Exists(liked))
    return qs.annotate(is_liked=Value(False))


def report_queue(*, status: str | None = None) -> QuerySet[Report]:
    """Reports for moderators, with reporter, content and authors joined in one query."""
    qs = Report.objects.select_related(
        "reporter__profile",
        "post__user__profile",
        "comment__user__profile",
        "handled_by__profile",
    )
    return qs.filter(status=status) if status else qs


def fetch_report(*, report_id) -> Report:
    """A report from the moderators' queue (`report_queue`), else `NotFound`."""
    try:
        return report_queue().get(pk=report_id)
    except (Report.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise NotFound(core_codes.NOT_FOUND, "No such report.") from exc
