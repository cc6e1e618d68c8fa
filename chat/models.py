"""Chat: conversations (direct or group), their participants, messages, images
and reports. Every write goes through `chat.services`."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.reports import ReportReason


class Kind(models.TextChoices):
    DIRECT = "direct", "Direct"
    GROUP = "group", "Group"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class ContentType(models.TextChoices):
    TEXT = "text", "Text"
    IMAGE = "image", "Image"


def direct_key(user_id, other_id) -> str:
    """The key of the one direct conversation of two users: their sorted ids."""
    return ":".join(sorted((str(user_id), str(other_id))))


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Groups only.
    title = models.CharField(max_length=100, blank=True)
    avatar = models.ForeignKey(
        "chat.ChatMedia", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Direct conversations only: `direct_key(a, b)`, unique, so two people have one.
    direct_key = models.CharField(max_length=73, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Last activity (a message, a membership or title change): the list's order.
    last_activity_at = models.DateTimeField(default=timezone.now)
    # Denormalised, so the list reads it without scanning messages.
    last_message = models.ForeignKey(
        "chat.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind=Kind.DIRECT, direct_key__isnull=False)
                    | models.Q(kind=Kind.GROUP, direct_key__isnull=True)
                ),
                name="chat_conversation_direct_key_iff_direct",
            ),
        ]
        indexes = [
            models.Index(fields=["-last_activity_at", "-id"], name="chat_conv_activity_idx"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.kind} {self.pk}"


class ConversationParticipant(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_participations"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    # Set when the user left or was removed: no longer a participant (404 to them).
    left_at = models.DateTimeField(null=True, blank=True)
    last_read_message = models.ForeignKey(
        "chat.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    muted = models.BooleanField(default=False)
    # Away at least once (left or removed, then added back): their reads skip the
    # `ParticipationGap`s; everyone else's reads skip the gap lookup.
    has_gaps = models.BooleanField(default=False)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="chat_participant_unique"
            ),
        ]
        indexes = [
            # "My conversations": the user's current memberships.
            models.Index(fields=["user", "left_at"], name="chat_participant_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id} ({self.role})"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class ParticipationGap(models.Model):
    """A stretch a member was away from a group: from leaving (or being removed)
    to being added back. What was said in it stays out of their sight, as on
    WhatsApp; what came before they left and after they returned does not."""

    participant = models.ForeignKey(
        ConversationParticipant, on_delete=models.CASCADE, related_name="gaps"
    )
    # A message is in the gap if started_at <= its created_at < ended_at.
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(
                fields=["participant", "started_at", "ended_at"], name="chat_gap_participant_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} away {self.started_at} - {self.ended_at}"


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages"
    )
    content_type = models.CharField(
        max_length=10, choices=ContentType.choices, default=ContentType.TEXT
    )
    body = models.TextField(blank=True)
    # The sender's own id for the message, so a retried send is stored once.
    client_ref = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    # A deleted message stays as a placeholder: its body and media are gone.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Hidden by a moderator: shown as a placeholder to everyone; kept for the admin.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "client_ref"],
                condition=models.Q(client_ref__isnull=False),
                name="chat_message_client_ref_unique",
            ),
        ]
        indexes = [
            # History, newest first, keyset on (created_at, id); unread counts.
            models.Index(
                fields=["conversation", "-created_at", "-id"], name="chat_message_history_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} in {self.conversation_id}: {self.body[:40]}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_shown(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


def media_upload_to(instance, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"chat/{instance.created_at:%Y/%m}/{instance.pk}.{extension}"


class ChatMedia(models.Model):
    """An image uploaded for a message (or a group's avatar): validated,
    EXIF-stripped and re-encoded by `core.media`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_media"
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="media"
    )
    file = models.ImageField(upload_to=media_upload_to, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=30)
    size_bytes = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    # Claimed as a group's avatar (then never attached to a message).
    is_avatar = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "created_at"]
        indexes = [
            models.Index(fields=["message", "position"], name="chat_media_message_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.content_type} {self.width}x{self.height} by {self.owner_id}"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved (message hidden)"
    DISMISSED = "dismissed", "Dismissed"


class MessageReport(models.Model):
    """A participant's report of a message, for moderators."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_reports"
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
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
            models.UniqueConstraint(
                fields=["reporter", "message"], name="chat_report_once_per_message"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at", "id"], name="chat_report_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} report on message {self.message_id} ({self.status})"
