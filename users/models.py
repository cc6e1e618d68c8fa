import uuid

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.identifiers import fold

from . import error_codes
from .managers import RETIRED_KEY_PREFIX, UserManager

username_validator = RegexValidator(
    r"^[A-Za-z0-9_.]{3,30}$",
    "Use 3 to 30 letters, digits, dots or underscores.",
    code=error_codes.INVALID_USERNAME,
)


class User(AbstractBaseUser, PermissionsMixin):
    """Email is the login; `username` is the public handle shown to others."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    # NULL, not "", when absent: the case-insensitive unique index skips NULLs.
    username = models.CharField(  # noqa: DJ001
        max_length=30, null=True, blank=True, validators=[username_validator]
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    suspended_until = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=255, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # The folded forms (core.identifiers.fold) every lookup compares exactly and
    # the unique constraints hold: no two accounts have look-alike emails or
    # handles (`ſam@x.test` and `sam@x.test`). Kept in step by save().
    email_key = models.TextField(unique=True, editable=False)
    username_key = models.TextField(null=True, unique=True, editable=False)  # noqa: DJ001

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            # Stored folded (UserManager.normalize_email), so `unique` is case-insensitive.
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="users_user_email_lowercase"
            ),
        ]
        ordering = ["-date_joined"]
        indexes = [
            # Newest first (the admin's list) and sign-ups per day (the dashboard).
            models.Index(fields=["-date_joined"], name="users_user_joined_idx"),
        ]
        permissions = [("suspend_user", "Can suspend and unsuspend users")]

    def __str__(self) -> str:
        return self.username or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def refresh_keys(self) -> None:
        # An account retired by migration 0007 (a look-alike of an older one)
        # keeps its mark: it must not take the older account's key back.
        if not (self.email_key or "").startswith(RETIRED_KEY_PREFIX):
            self.email_key = fold(self.email)
        self.username_key = fold(self.username) if self.username else None

    def save(self, *args, **kwargs):
        self.refresh_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            fields = set(update_fields)
            if "email" in fields:
                fields.add("email_key")
            if "username" in fields:
                fields.add("username_key")
            kwargs["update_fields"] = fields
        super().save(*args, **kwargs)

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > timezone.now()

    @property
    def is_moderator(self) -> bool:
        from .roles import is_moderator

        return is_moderator(self)


class Profile(models.Model):
    """Public face of a user; created with the user (UserManager._create_user)."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(max_length=500, blank=True)
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    # Denormalised counters, kept exact with F() updates by the services that
    # change them, so a profile read never counts rows.
    follower_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class Follow(models.Model):
    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_set")
    followee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_set")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="users_follow_unique"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followee")),
                name="users_follow_not_self",
            ),
        ]
        indexes = [
            # Keyset pages of followers / following, newest first.
            models.Index(fields=["followee", "-created_at", "-id"], name="follow_followee_idx"),
            models.Index(fields=["follower", "-created_at", "-id"], name="follow_follower_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} -> {self.followee_id}"


class Block(models.Model):
    """`blocker` blocked `blocked`: neither sees the other's posts, comments or
    profile, neither can follow the other, and neither is notified of the other."""

    # No single-column indexes: the constraint and indexes below lead with each.
    blocker = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="blocks_made", db_index=False
    )
    blocked = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="blocks_received", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Its index also answers "whom did the viewer block" (blocker first).
            models.UniqueConstraint(fields=["blocker", "blocked"], name="users_block_unique"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="users_block_not_self"
            ),
        ]
        indexes = [
            # "Who blocked the viewer": the other half of every visibility check.
            models.Index(fields=["blocked", "blocker"], name="block_blocked_idx"),
            # Keyset pages of the viewer's blocked users, newest first.
            models.Index(fields=["blocker", "-created_at", "-id"], name="block_blocker_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class ActiveDay(models.Model):
    """A user was active (an authenticated request) on this day, in the configured
    time zone: one row per user per day, written at most once a day per user
    (users.activity.record_activity), read by the dashboard's daily active users."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [
            # Leading `day`: the per-day counts read a range of it.
            models.UniqueConstraint(fields=["day", "user"], name="users_activeday_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.day}"


class RevokedAccess(models.Model):
    """Access tokens refused before they expire: a signed-out session's (`sid`
    claim, every access token issued with that refresh token family) or one
    token's (`jti`, tokens without a session). Kept in the database, not the
    cache, so logout holds while Redis is down. Rows are useless once
    `expires_at` passes (every token they name has expired) and are deleted then."""

    key = models.CharField(max_length=64, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key} until {self.expires_at}"
