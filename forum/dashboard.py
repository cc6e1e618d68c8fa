"""The forum's figures on the staff dashboard (core.dashboard)."""

from django.db.models import Subquery
from django.db.models.signals import post_delete, post_save

from core.dashboard import (
    Window,
    daily_counts,
    daily_range_counts,
    forget,
    register_series,
    register_table,
)

from .models import ForumComment, ForumPost, Report, ReportStatus

TOP_POSTS = 10
OPEN_REPORTS_SHOWN = 10


def posts(window: Window) -> dict:
    return daily_counts(ForumPost.objects.all(), "timestamp", window)


def comments(window: Window) -> dict:
    # ~3 comments a post: a quarter of a million a month at 1M posts.
    return daily_range_counts(ForumComment.objects.all(), "timestamp", window)


def top_posts(window: Window) -> list[dict]:
    """The most liked visible posts published in the range."""
    # The top ten first, their authors after: joined before the LIMIT, the
    # planner hashed every user to join the ~80k posts of a month.
    top = (
        ForumPost.objects.filter(
            timestamp__gte=window.start, timestamp__lt=window.end, hidden_at__isnull=True
        )
        .order_by("-like_count", "-timestamp")
        .values("pk")[:TOP_POSTS]
    )
    rows = (
        ForumPost.objects.filter(pk__in=Subquery(top))
        .order_by("-like_count", "-timestamp")
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
    register_series("posts", "Posts", posts, rollup=True)
    register_series("comments", "Comments", comments, rollup=True)
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
    )
    register_table(
        "open_reports", "Open reports", ["id", "reason", "target", "reported"], open_reports
    )
