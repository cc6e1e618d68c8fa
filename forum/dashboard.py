"""The forum's figures on the staff dashboard (staff.dashboard)."""

import itertools

from django.db import connection
from django.db.models import Subquery
from django.db.models.signals import post_delete, post_save

from staff.dashboard import (
    Window,
    daily_counts,
    daily_range_counts,
    forget,
    register_series,
    register_table,
)

from .models import ForumComment, ForumPost, Privacy, Report, ReportStatus
from .permissions import READ_POSTS, READ_REPORTS

TOP_POSTS = 10
OPEN_REPORTS_SHOWN = 10


def posts(window: Window) -> dict:
    return daily_counts(ForumPost.objects.all(), "timestamp", window)


def comments(window: Window) -> dict:
    # ~3 comments a post: a quarter of a million a month at 1M posts.
    return daily_range_counts(ForumComment.objects.all(), "timestamp", window)


# Most liked first; the newest, then the id, break ties (the same top ten however
# the range is cut).
TOP_ORDER = ("-like_count", "-timestamp", "-id")
# The range's top ten is among the top tens of its weeks.
CHUNK_DAYS = 7


def _visible_in(start, end):
    # Public posts only: the dashboard shows their text, and private and
    # followers-only posts are nobody's business but their audience's.
    return ForumPost.objects.filter(
        timestamp__gte=start, timestamp__lt=end, hidden_at__isnull=True, privacy=Privacy.PUBLIC
    )


def _top_post_ids(window: Window):
    """The ids of the range's top posts: a subquery for a week or less; for a
    longer range, the top ten of each week (UNION ALL) and the ten best of those.

    One top-N over the whole range reads `like_count` of every post in it from
    the heap, and from a month on the planner makes it a (parallel) sequential
    scan of the whole table (90 days of 1M posts: 71k pages read for 18k that
    hold the range). Each week's part is an index range scan of
    `forum_post_feed_idx`, reading only the range's pages (BENCHMARKS.md,
    "Staff dashboard ... rollup")."""
    if window.days <= CHUNK_DAYS or not connection.features.supports_slicing_ordering_in_compound:
        return Subquery(
            _visible_in(window.start, window.end).order_by(*TOP_ORDER).values("pk")[:TOP_POSTS]
        )
    edges = window.midnights()[::CHUNK_DAYS]
    if edges[-1] != window.end:
        edges.append(window.end)
    parts = [
        _visible_in(start, end)
        .order_by(*TOP_ORDER)
        .values("id", "like_count", "timestamp")[:TOP_POSTS]
        for start, end in itertools.pairwise(edges)
    ]
    best = parts[0].union(*parts[1:], all=True).order_by(*TOP_ORDER)[:TOP_POSTS]
    return [row["id"] for row in best]


def top_posts(window: Window) -> list[dict]:
    """The most liked public, visible posts published in the range."""
    # The top ten first, their authors after: joined before the LIMIT, the
    # planner hashed every user to join the ~80k posts of a month.
    rows = (
        ForumPost.objects.filter(pk__in=_top_post_ids(window))
        .order_by(*TOP_ORDER)
        .values("id", "user__username", "content", "like_count", "comment_count", "timestamp")
    )
    return [
        {
            "id": str(row["id"]),
            "author": row["user__username"],
            "content": row["content"][:80],
            "likes": row["like_count"],
            "comments": row["comment_count"],
            "published": row["timestamp"].isoformat().replace("+00:00", "Z"),
        }
        for row in rows
    ]


def open_reports(window: Window) -> list[dict]:
    """The oldest open reports (the queue's head), whatever the range."""
    rows = (
        Report.objects.filter(status=ReportStatus.OPEN)
        .order_by("created_at", "id")
        .values("id", "reason", "post_id", "comment_id", "created_at")[:OPEN_REPORTS_SHOWN]
    )
    return [
        {
            "id": str(row["id"]),
            "reason": row["reason"],
            "target": f"post {row['post_id']}"
            if row["post_id"]
            else f"comment {row['comment_id']}",
            "reported": row["created_at"].isoformat().replace("+00:00", "Z"),
        }
        for row in rows
    ]


# A deleted post or comment (or one created with a past timestamp) changes a day
# the rollup may hold. Hiding changes nothing: hidden ones are counted too.


def _forget_post(sender, instance, created=True, **kwargs):
    if created:
        forget("posts", instance.timestamp)


def _forget_comment(sender, instance, created=True, **kwargs):
    if created:
        forget("comments", instance.timestamp)


def register() -> None:
    register_series("posts", "Posts", posts, rollup=True, permission=READ_POSTS)
    register_series("comments", "Comments", comments, rollup=True, permission=READ_POSTS)
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(_forget_post, sender=ForumPost, dispatch_uid=f"dashboard-post-{name}")
        signal.connect(
            _forget_comment, sender=ForumComment, dispatch_uid=f"dashboard-comment-{name}"
        )
    register_table(
        "top_posts",
        "Top posts",
        ["id", "author", "content", "likes", "comments", "published"],
        top_posts,
        permission=READ_POSTS,
    )
    register_table(
        "open_reports",
        "Open reports",
        ["id", "reason", "target", "reported"],
        open_reports,
        permission=READ_REPORTS,
    )
