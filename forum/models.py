import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.utils import timezone

from core.reports import ReportReason
from users.models import Follow
from users.roles import is_moderator
from users.selectors import ids_blocked_by, ids_blocking


class Privacy(models.TextChoices):
    PUBLIC = "public", "Public"
    FOLLOWERS = "followers", "Followers only"
    PRIVATE = "private", "Only me"


def tag_name(text: str) -> str:
    """A tag as storage, filters and search spell it: `#Django ` is `django`."""
    return text.strip().lower().lstrip("#")


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Full-text search (forum.search): the configuration of the post's search
# document, tags weighted above content.
SEARCH_CONFIG = "english"


class PostgresOnly(models.Func):
    """Its expression on Postgres, NULL elsewhere: SQLite has no full-text search
    and searches by substring instead (forum.search)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection, **extra_context):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra_context):
        return compiler.compile(self.get_source_expressions()[0])


class ForumPostQuerySet(models.QuerySet):
    def visible_to(self, viewer):
        """The one visibility rule for posts: lists, detail, likes, comments, sockets.

        Public posts to everyone; followers-only posts to the author's followers;
        private posts to the author alone; hidden posts to the author and moderators.
        Never posts by authors the viewer blocked, nor, but to moderators, by
        authors who blocked the viewer. Block checks are subqueries of this query.
        """
        if viewer is None or not viewer.is_authenticated:
            return self.filter(privacy=Privacy.PUBLIC, hidden_at__isnull=True)
        followed = Follow.objects.filter(follower=viewer).values("followee_id")
        visible = (
            models.Q(privacy=Privacy.PUBLIC)
            | models.Q(user=viewer)
            | models.Q(privacy=Privacy.FOLLOWERS, user__in=followed)
        )
        qs = self.filter(visible).exclude(user__in=ids_blocked_by(viewer))
        if not is_moderator(viewer):
            qs = qs.filter(models.Q(hidden_at__isnull=True) | models.Q(user=viewer))
            # A user cannot hide their posts from moderation by blocking moderators.
            qs = qs.exclude(user__in=ids_blocking(viewer))
        return qs


class ForumPostManager(models.Manager.from_queryset(ForumPostQuerySet)):
    def get_queryset(self):
        # The search document is for the database's index: never load it.
        return super().get_queryset().defer("search_vector")


class ForumPost(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_posts"
    )
    content = models.TextField()
    # Media rows point here (Media.post); the contract's `media_url` is the first.
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    # The tag names, space-separated, kept by forum.services: full-text search
    # reads them into `search_vector` with the content.
    tag_names = models.TextField(blank=True, default="", editable=False)
    privacy = models.CharField(max_length=10, choices=Privacy.choices, default=Privacy.PUBLIC)
    timestamp = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    is_edited = models.BooleanField(default=False)
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    # Computed and stored by Postgres; GIN-indexed by migration 0005 (on Postgres).
    search_vector = models.GeneratedField(
        expression=PostgresOnly(
            SearchVector("tag_names", config=SEARCH_CONFIG, weight="A")
            + SearchVector("content", config=SEARCH_CONFIG, weight="B")
        ),
        output_field=SearchVectorField(null=True),
        db_persist=True,
    )

    objects = ForumPostManager()

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            # The feed: newest first, keyset on (timestamp, id).
            models.Index(fields=["-timestamp", "-id"], name="forum_post_feed_idx"),
            models.Index(fields=["user", "-timestamp", "-id"], name="forum_post_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.content[:40]}"


class PostLike(models.Model):
    post = models.ForeignKey(ForumPost, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_likes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="forum_postlike_unique")
        ]
        indexes = [models.Index(fields=["user", "post"], name="forum_postlike_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


def _sees_hidden_content(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated and is_moderator(viewer)


class ForumCommentQuerySet(models.QuerySet):
    def visible_to(self, viewer):
        """Comments the viewer may see: on posts the viewer may see, not hidden
        unless the viewer wrote them or moderates, and not by a blocked author."""
        return (
            self.filter(post__in=ForumPost.objects.visible_to(viewer))
            .not_hidden_from(viewer)
            .not_blocked_for(viewer)
        )

    def not_blocked_for(self, viewer):
        """Not by users the viewer blocked nor, but to moderators, by users who
        blocked the viewer: the posts' block rule, applied to comment authors."""
        if viewer is None or not viewer.is_authenticated:
            return self
        qs = self.exclude(user__in=ids_blocked_by(viewer))
        if _sees_hidden_content(viewer):
            return qs
        return qs.exclude(user__in=ids_blocking(viewer))

    def not_hidden_from(self, viewer):
        """The hidden-comment rule alone, for a post the caller already checked."""
        if _sees_hidden_content(viewer):
            return self
        if viewer is None or not viewer.is_authenticated:
            return self.filter(hidden_at__isnull=True)
        return self.filter(models.Q(hidden_at__isnull=True) | models.Q(user=viewer))


class ForumComment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    post = models.ForeignKey(ForumPost, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    content = models.TextField()
    timestamp = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    is_edited = models.BooleanField(default=False)
    # A deleted comment that has replies stays as a placeholder so the thread
    # keeps its shape; its content is cleared.
    is_deleted = models.BooleanField(default=False)
    like_count = models.PositiveIntegerField(default=0)
    # Hidden by a moderator: out of comment lists for all but its author and moderators.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ForumCommentQuerySet.as_manager()

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [
            models.Index(fields=["post", "timestamp", "id"], name="forum_comment_post_idx"),
            models.Index(fields=["user"], name="forum_comment_user_idx"),
            # Newest first across posts: the admin's list and the per-day counts.
            models.Index(fields=["-timestamp", "-id"], name="forum_comment_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.post_id}: {self.content[:40]}"


class CommentLike(models.Model):
    comment = models.ForeignKey(ForumComment, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_likes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="forum_commentlike_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.comment_id}"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved (content hidden)"
    DISMISSED = "dismissed", "Dismissed"


class Report(models.Model):
    """A member's report of a post or a comment, handled by a moderator."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_reports"
    )
    # Exactly one target (forum_report_one_target).
    post = models.ForeignKey(
        ForumPost, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    comment = models.ForeignKey(
        ForumComment, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    reason = models.CharField(max_length=10, choices=ReportReason.choices)
    details = models.TextField(blank=True, max_length=1000)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(post__isnull=False, comment__isnull=True)
                    | models.Q(post__isnull=True, comment__isnull=False)
                ),
                name="forum_report_one_target",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status=ReportStatus.OPEN, handled_at__isnull=True)
                    | (~models.Q(status=ReportStatus.OPEN) & models.Q(handled_at__isnull=False))
                ),
                name="forum_report_handled_when_closed",
            ),
            models.UniqueConstraint(
                fields=["reporter", "post"],
                condition=models.Q(post__isnull=False),
                name="forum_report_once_per_post",
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"],
                condition=models.Q(comment__isnull=False),
                name="forum_report_once_per_comment",
            ),
        ]
        indexes = [
            # The moderation queue: by status, oldest first, keyset on (created_at, id).
            models.Index(fields=["status", "created_at", "id"], name="forum_report_queue_idx"),
        ]

    def __str__(self) -> str:
        target = f"post {self.post_id}" if self.post_id else f"comment {self.comment_id}"
        return f"{self.reason} report on {target} ({self.status})"


def media_upload_to(instance, filename: str) -> str:
    # The media id is the file name, so a URL handed back by a client can be
    # traced to its row whatever storage or signing put around it.
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"forum/{instance.created_at:%Y/%m}/{instance.pk}.{extension}"


class Media(models.Model):
    """An image uploaded for a post: validated, EXIF-stripped, re-encoded."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_media"
    )
    post = models.ForeignKey(
        ForumPost, on_delete=models.CASCADE, null=True, blank=True, related_name="media"
    )
    file = models.ImageField(upload_to=media_upload_to, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=30)
    size_bytes = models.PositiveIntegerField(default=0)
    # {"<size>": "<storage name>"} once the thumbnail task has run.
    thumbnails = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "created_at"]
        indexes = [
            models.Index(fields=["post", "position"], name="forum_media_post_idx"),
            # Orphan clean-up: unattached uploads by age.
            models.Index(
                fields=["created_at"],
                name="forum_media_orphan_idx",
                condition=models.Q(post__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type} {self.width}x{self.height} by {self.owner_id}"
