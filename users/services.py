"""Writes of the users domain: accounts, profiles, avatars, follows, suspension."""

from __future__ import annotations

import uuid
from datetime import datetime

from allauth.account.models import EmailAddress
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from core import error_codes as core_codes
from core.exceptions import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
    invalid,
)
from core.locks import lock_for_key_share
from core.media import process_avatar
from core.permissions import require_perms
from core.text import to_plain_text
from core.transactions import after_commit
from core.types import Id
from realtime.codes import STREAM_SUSPENDED
from realtime.publish import disconnect_user, end_user_streams, recheck_user_streams

from . import error_codes, hooks, tasks
from .cache import invalidate_profile
from .managers import integrity_error_field
from .models import Block, Follow, Profile, User
from .permissions import SUSPEND_USERS
from .selectors import is_blocked_between

TAKEN_MESSAGES = {
    "email": "A user with this email address already exists.",
    "username": "This username is taken.",
}
TAKEN_CODES = {"email": error_codes.EMAIL_TAKEN, "username": error_codes.USERNAME_TAKEN}


def _no_such_user() -> NotFound:
    return NotFound(core_codes.NOT_FOUND, "Not found.")


# --- accounts ---------------------------------------------------------------


def create_user(
    *,
    email: str,
    password: str | None,
    username: str | None = None,
    display_name: str = "",
    is_staff: bool = False,
    is_active: bool = True,
) -> User:
    """A user and its profile in one transaction; a taken email or username is a 400."""
    try:
        return User.objects.create_user(
            email=email,
            password=password,
            username=username or None,
            display_name=to_plain_text(display_name or ""),
            is_staff=is_staff,
            is_active=is_active,
        )
    except IntegrityError as exc:
        field = integrity_error_field(exc)
        if field is None:
            raise
        raise invalid(field, TAKEN_MESSAGES[field], TAKEN_CODES[field]) from exc


def register(
    *,
    email: str,
    password: str,
    username: str | None = None,
    display_name: str = "",
) -> User:
    """Sign-up: the user, its profile and its (unverified) allauth email address.

    Sending the verification email is the caller's (it needs the request).
    """
    with transaction.atomic():
        user = create_user(
            email=email, password=password, username=username, display_name=display_name
        )
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    return user


def ensure_profile(*, user: User) -> Profile:
    """For users saved by third-party code (allauth's social signup, the admin add form)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def update_profile(
    *,
    user: User,
    username: str | None = None,
    display_name: str | None = None,
    bio: str | None = None,
) -> User:
    """Change the public fields a user edits; None leaves a field as it is."""
    with transaction.atomic():
        if username is not None and username != user.username:
            user.username = username
            try:
                with transaction.atomic():
                    user.save(update_fields=["username"])
            except IntegrityError as exc:
                raise invalid(
                    "username", TAKEN_MESSAGES["username"], error_codes.USERNAME_TAKEN
                ) from exc
        profile = user.profile
        changed = []
        if display_name is not None:
            profile.display_name = to_plain_text(display_name)
            changed.append("display_name")
        if bio is not None:
            profile.bio = to_plain_text(bio)
            changed.append("bio")
        if changed:
            profile.save(update_fields=[*changed, "updated_at"])
        invalidate_profile(user.pk)
    return user


def _delete_file_on_commit(storage: Storage, name: str) -> None:
    if name:
        after_commit(storage.delete, name)


def set_avatar(*, user: User, upload: UploadedFile) -> Profile:
    """Validate the upload by content, store it re-encoded and square; the old file goes."""
    image = process_avatar(upload)
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(pk=user.pk)
        old_name = profile.avatar.name
        profile.avatar.save(image.file.name, image.file, save=False)
        try:
            profile.save(update_fields=["avatar", "updated_at"])
        except Exception:
            profile.avatar.storage.delete(profile.avatar.name)
            raise
        _delete_file_on_commit(profile.avatar.storage, old_name)
        invalidate_profile(user.pk)
    user.profile = profile
    return profile


def remove_avatar(*, user: User) -> Profile:
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(pk=user.pk)
        old_name = profile.avatar.name
        if old_name:
            profile.avatar = ""
            profile.save(update_fields=["avatar", "updated_at"])
            _delete_file_on_commit(profile.avatar.storage, old_name)
            invalidate_profile(user.pk)
    user.profile = profile
    return profile


# --- follows ----------------------------------------------------------------


def _bump_counters(*, follower_id: Id, followee_id: Id, delta: int) -> None:
    # Rows are updated in primary-key order so that A following B while B
    # follows A cannot deadlock.
    updates = {
        follower_id: {"following_count": F("following_count") + delta},
        followee_id: {"follower_count": F("follower_count") + delta},
    }
    for pk in sorted(updates, key=str):
        Profile.objects.filter(pk=pk).update(**updates[pk])
        invalidate_profile(pk)


def follow(*, follower: User, followee: User) -> bool:
    """Follow `followee`; True if a new follow was made, False if it already existed.

    Idempotent and safe under concurrency: the unique constraint decides which
    of two simultaneous follows wins, and counters move only with a real insert.
    Between blocked users: 404 when `followee` blocked `follower` (as if they
    did not exist), 409 `user_blocked` when `follower` blocked `followee`.
    """
    if follower.pk == followee.pk:
        raise InvalidInput(error_codes.CANNOT_FOLLOW_SELF, "You cannot follow yourself.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                Follow.objects.create(follower=follower, followee=followee)
        except IntegrityError:
            return False
        _bump_counters(follower_id=follower.pk, followee_id=followee.pk, delta=1)
        # Checked after the counter updates, which lock both profiles as
        # block_user does first: a block committed meanwhile is seen here, and a
        # block still running waits for this follow and removes it.
        _refuse_if_blocked(follower=follower, followee=followee)
        hooks.user_followed.fire(follower=follower, followee=followee)
    return True


def unfollow(*, follower: User, followee: User) -> bool:
    """Stop following; True if a follow was removed, False if there was none."""
    with transaction.atomic():
        deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
        if not deleted:
            return False
        _bump_counters(follower_id=follower.pk, followee_id=followee.pk, delta=-1)
        # Followers-only streams of the followee end for the follower's sockets.
        recheck_user_streams([follower.pk])
    return True


# --- blocks -----------------------------------------------------------------


def _refuse_if_blocked(*, follower: User, followee: User) -> None:
    blockers = set(
        Block.objects.filter(
            Q(blocker=follower, blocked=followee) | Q(blocker=followee, blocked=follower)
        ).values_list("blocker_id", flat=True)
    )
    if followee.pk in blockers:
        # As if the followee did not exist: a block is never revealed.
        raise _no_such_user()
    if blockers:
        raise Conflict(error_codes.USER_BLOCKED, "Unblock this user to follow them.")


def _lock_profiles(*user_ids: Id) -> None:
    # In primary-key order, as _bump_counters updates them.
    list(
        Profile.objects.select_for_update()
        .filter(pk__in=user_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def hold_pair_for_notification(*, user_id: Id, other_id: Id) -> bool:
    """Whether news between the two users may be told: neither blocked the other.

    Call it in the transaction that stores the news. It holds both profiles (a
    key-share lock, `core.locks.lock_for_key_share`) until that transaction ends,
    then checks, so `block_user` of the two, which locks them for update first,
    either waits for the news and withdraws it, or went first and is seen here.
    Profile counter updates are not held up. Two queries.
    """
    lock_for_key_share(Profile.objects.filter(pk__in=[user_id, other_id]).order_by("pk"))
    return not is_blocked_between(user_id, other_id)


def block_user(*, blocker: User, blocked: User) -> bool:
    """Block `blocked`; True if a new block was made, False if it already existed.

    Follows between the two go, both ways, through `unfollow` (counters stay
    exact), and so do the notifications either was sent about the other's doings
    (not re-created on unblock). A user who has been blocked by `blocked` cannot
    block them back (404, as everywhere else they do not exist for each other).
    """
    if blocker.pk == blocked.pk:
        raise InvalidInput(error_codes.CANNOT_BLOCK_SELF, "You cannot block yourself.")
    with transaction.atomic():
        # Serialises with follow(), with a block the other way round and with
        # news being delivered between the two (hold_pair_for_notification).
        _lock_profiles(blocker.pk, blocked.pk)
        if Block.objects.filter(blocker=blocked, blocked=blocker).exists():
            raise _no_such_user()
        try:
            with transaction.atomic():
                Block.objects.create(blocker=blocker, blocked=blocked)
        except IntegrityError:
            return False
        unfollow(follower=blocker, followee=blocked)
        unfollow(follower=blocked, followee=blocker)
        # Subscribers (the notifications) take back what either was told of the other.
        hooks.user_blocked.fire(blocker=blocker, blocked=blocked)
        invalidate_profile(blocker.pk)
        invalidate_profile(blocked.pk)
        # Each one's sockets stop hearing the other and end streams no longer visible.
        recheck_user_streams([blocker.pk, blocked.pk])
    return True


def unblock_user(*, blocker: User, blocked: User) -> bool:
    """Lift a block; True if one was removed. Follows removed by the block stay removed."""
    with transaction.atomic():
        deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
        if deleted:
            invalidate_profile(blocker.pk)
            invalidate_profile(blocked.pk)
    return bool(deleted)


# --- tokens -----------------------------------------------------------------


def revoke_refresh_tokens(*, user: User) -> int:
    """Blacklist every outstanding refresh token of `user` (sign out everywhere)."""
    tokens = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    created = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True
    )
    return len(created)


# --- password reset -----------------------------------------------------------


def request_password_reset(*, email: str) -> None:
    """Queue the reset mail. No lookup here: the request does the same work for
    an address with an account as for one without, so its timing tells nothing."""
    try:
        tasks.send_password_reset.delay(email, uuid.uuid4().hex)
    except KombuOperationalError as error:
        # The broker is down: say so (503) rather than answer "sent" for a mail
        # that never will be, or fail with a 500.
        raise ServiceUnavailable(
            error_codes.PASSWORD_RESET_UNAVAILABLE,
            "Password reset mail cannot be sent right now; try again in a minute.",
        ) from error


# --- suspension -------------------------------------------------------------


def suspend_user(*, user: User, until: datetime, reason: str = "") -> User:
    """Suspend `user` until `until`: login, refresh and their access tokens are refused
    from now on, their refresh tokens are revoked and their open sockets closed."""
    if timezone.is_naive(until):
        raise invalid("until", "Give a time zone.", error_codes.NAIVE_DATETIME)
    if until <= timezone.now():
        raise invalid(
            "until", "The end of a suspension must be in the future.", core_codes.NOT_FUTURE
        )
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(
            suspended_until=until, suspension_reason=reason[:255]
        )
        user.suspended_until = until
        user.suspension_reason = reason[:255]
        revoke_refresh_tokens(user=user)
        end_user_streams([user.pk], reason=STREAM_SUSPENDED)
        disconnect_user(user.pk)
    return user


def unsuspend_user(*, user: User) -> User:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(suspended_until=None, suspension_reason="")
        user.suspended_until = None
        user.suspension_reason = ""
    return user


def check_can_suspend(*, actor: User, target: User) -> None:
    """Those with the power (`users.suspend_user`: moderators) suspend members; only
    superusers may suspend moderators or staff (moderators are `is_staff` too)."""
    require_perms(actor, SUSPEND_USERS, message="You may not suspend users.")
    if actor.pk == target.pk:
        raise InvalidInput(error_codes.CANNOT_SUSPEND_SELF, "You cannot suspend yourself.")
    if (target.is_staff or target.is_moderator) and not actor.is_superuser:
        raise Forbidden(
            core_codes.PERMISSION_DENIED, "Only superusers may suspend moderators or staff."
        )
