import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    POST_LIKED = "post_liked", "Your post was liked"
    COMMENT_LIKED = "comment_liked", "Your comment was liked"
    COMMENT_ON_POST = "comment_on_post", "A comment on your post"
    REPLY_TO_COMMENT = "reply_to_comment", "A reply to your comment"
    MENTION = "mention", "You were mentioned"
    NEW_FOLLOWER = "new_follower", "A new follower"
    CHAT_MESSAGE = "chat_message", "A chat message while you were away"
    ORDER_PAID = "order_paid", "Your order was paid"
    ORDER_SHIPPED = "order_shipped", "Your order shipped"
    ORDER_REFUNDED = "order_refunded", "Your order was refunded"
    SYSTEM = "system", "Announcements"


class Notification(models.Model):
    """One thing a user is told about; likes on one target fold into one row.

    `target_type`/`target_id` name what the notification is about ("forum.post",
    "<uuid>") as plain strings: no join and no content type lookup to read them.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # The latest actor. A row likes fold into lists every actor it counts in
    # NotificationActor; `recent_actor_ids` keeps the latest few, for showing.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor_count = models.PositiveIntegerField(default=1)
    recent_actor_ids = models.JSONField(default=list, blank=True)
    # Set on rows later events fold into (likes on one post). At most one unread
    # row per recipient and key, enforced below, so parallel likes cannot split it.
    group_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    # Moved forward when an event folds in, so the row comes back to the top.
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_recipient_idx"),
            # Unread count and `?unread=true` pages touch unread rows only.
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                name="notif_recipient_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
            # Withdrawing what was said about a post or comment that went away.
            models.Index(fields=["target_type", "target_id"], name="notif_target_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "group_key"],
                name="notif_one_open_group",
                condition=models.Q(read_at__isnull=True, group_key__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationActor(models.Model):
    """One actor a folding row (likes) counts: every one of them, not only the few
    `recent_actor_ids` shows, so a block takes out exactly the blocked user's part.

    Written with the row, in the transaction of its delivery. Goes with the row and
    with the user. Rows that do not fold have one actor, `Notification.actor`, and
    none here.
    """

    # Indexed by the constraint and the index below, not each on its own.
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # When they last folded in: the latest ones are shown when one leaves.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notification", "actor"], name="notif_actor_unique")
        ]
        # The rows a user is counted in (a block).
        indexes = [models.Index(fields=["actor", "notification"], name="notif_actor_actor_idx")]

    def __str__(self) -> str:
        return f"{self.actor_id} in {self.notification_id}"


class NotificationDedupe(models.Model):
    """Events already told to a recipient (like -> unlike -> like tells once)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notif_dedupe_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="notif_dedupe_created_idx")]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.key}"


class NotificationPreferences(models.Model):
    """A user's choices; `channels` holds only what differs from the defaults
    (notifications.kinds), as {kind: {"in_app"|"push"|"email": bool}}."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preferences",
    )
    channels = models.JSONField(default=dict, blank=True)
    email_digest = models.BooleanField(default=False)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification preferences"
        indexes = [
            models.Index(
                fields=["user"],
                name="notif_prefs_digest_idx",
                condition=models.Q(email_digest=True),
            )
        ]

    def __str__(self) -> str:
        return f"Notification preferences of {self.user_id}"


class Platform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    WEB = "web", "Web"


class Device(models.Model):
    """A push token. A token belongs to one user at a time; another account moves it
    only with proof of the same install, the `device_id` it was registered with
    (notifications.services.devices.register_device)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices"
    )
    platform = models.CharField(max_length=10, choices=Platform.choices)
    token = models.CharField(max_length=512, unique=True)
    app_version = models.CharField(max_length=32, blank=True)
    device_id = models.CharField(max_length=128, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    last_pushed_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivation_reason = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user"], name="notif_device_active_idx", condition=models.Q(is_active=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform} device of {self.user_id}"


class Broadcast(models.Model):
    """A system announcement to every user (or to chosen ones), sent in batches by a task."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        DONE = "done", "Done"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # The last user id handed a notification: batches walk users in id order.
    cursor = models.UUIDField(null=True, blank=True, editable=False)
    recipient_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # To `recipients` only (staff picked them in the admin); else to every user.
    targeted = models.BooleanField(default=False, editable=False)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
