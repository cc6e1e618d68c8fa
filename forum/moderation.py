"""Moderation writes: reports, the queue's decisions, hiding and restoring content.

Members report what they can see, once per post or comment. Moderators close a
report by hiding the content (`resolved`) or leaving it up (`dismissed`); either
decision closes every open report on the same content at once, and may suspend
the content's author in the same transaction.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core import error_codes as core_codes
from core.exceptions import Conflict, InvalidInput, NotFound, invalid
from core.permissions import require_perms
from core.reports import clean_report_details
from core.types import Id
from users.models import User
from users.services import check_can_suspend, suspend_user

from . import cache as post_cache
from . import error_codes, events
from .models import ForumComment, ForumPost, Report, ReportStatus
from .permissions import HANDLE_REPORTS, MODERATE_COMMENTS, MODERATE_POSTS, READ_REPORTS
from .selectors import fetch_visible_comment, fetch_visible_post
from .services import (
    recount_public_posts,
    withdraw_comment_notifications,
    withdraw_post_notifications,
)


class ResolveAction:
    HIDE = "hide"
    DISMISS = "dismiss"
    CHOICES = [(HIDE, "Hide the content"), (DISMISS, "Leave the content up")]


# --- reports ----------------------------------------------------------------


def _file_report(
    *, reporter: User, author_id: Id, reason: str, details: str, **target: ForumPost | ForumComment
) -> Report:
    if author_id == reporter.pk:
        raise InvalidInput(
            error_codes.CANNOT_REPORT_OWN_CONTENT, "You cannot report your own content."
        )
    details = clean_report_details(reason=reason, details=details)
    try:
        with transaction.atomic():
            return Report.objects.create(
                reporter=reporter, reason=reason, details=details, **target
            )
    except IntegrityError as exc:
        # The unique constraints are the only ones a valid target can break.
        raise Conflict(error_codes.ALREADY_REPORTED, "You have already reported this.") from exc


def report_post(*, reporter: User, post_id: Id, reason: str, details: str = "") -> Report:
    """Report a post the reporter can see (404 otherwise); once per reporter (409)."""
    post = fetch_visible_post(viewer=reporter, post_id=post_id)
    return _file_report(
        reporter=reporter, author_id=post.user_id, reason=reason, details=details, post=post
    )


def report_comment(*, reporter: User, comment_id: Id, reason: str, details: str = "") -> Report:
    """Report a comment the reporter can see (404 otherwise); once per reporter (409)."""
    comment = fetch_visible_comment(viewer=reporter, comment_id=comment_id, live=True)
    return _file_report(
        reporter=reporter,
        author_id=comment.user_id,
        reason=reason,
        details=details,
        comment=comment,
    )


def resolve_report(
    *,
    report_id: Id,
    moderator: User,
    action: str,
    suspend_until: datetime | None = None,
    suspension_reason: str = "",
) -> Report:
    """Close an open report and every other open report on the same content.

    `hide` hides the content and marks the reports resolved; `dismiss` leaves it
    up and marks them dismissed. With `suspend_until` the content's author is
    suspended too (users.services.suspend_user); any refusal rolls back it all.
    """
    require_perms(moderator, READ_REPORTS, HANDLE_REPORTS, message="You may not handle reports.")
    if action not in (ResolveAction.HIDE, ResolveAction.DISMISS):
        raise invalid("action", f'"{action}" is not a valid choice.', core_codes.INVALID_CHOICE)
    with transaction.atomic():
        try:
            report = Report.objects.select_for_update().get(pk=report_id)
        except (Report.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
            raise NotFound(core_codes.NOT_FOUND, "No such report.") from exc
        if report.status != ReportStatus.OPEN:
            raise Conflict(error_codes.ALREADY_HANDLED, "This report has been handled already.")

        if report.post_id is not None:
            target = ForumPost.objects.get(pk=report.post_id)
            same_target = {"post_id": report.post_id}
            if action == ResolveAction.HIDE:
                hide_post(post=target, moderator=moderator)
        else:
            target = ForumComment.objects.get(pk=report.comment_id)
            same_target = {"comment_id": report.comment_id}
            if action == ResolveAction.HIDE:
                hide_comment(comment=target, moderator=moderator)

        if suspend_until is not None:
            _suspend_author(
                author_id=target.user_id,
                moderator=moderator,
                until=suspend_until,
                reason=suspension_reason,
            )

        status = ReportStatus.RESOLVED if action == ResolveAction.HIDE else ReportStatus.DISMISSED
        now = timezone.now()
        Report.objects.filter(status=ReportStatus.OPEN, **same_target).update(
            status=status, handled_by=moderator, handled_at=now
        )
        report.status, report.handled_by, report.handled_at = status, moderator, now
    return report


def _suspend_author(*, author_id: Id, moderator: User, until: datetime, reason: str) -> None:
    if until <= timezone.now():
        raise invalid(
            "suspend_until",
            "The end of a suspension must be in the future.",
            core_codes.NOT_FUTURE,
        )
    author = User.objects.get(pk=author_id)
    check_can_suspend(actor=moderator, target=author)
    suspend_user(user=author, until=until, reason=reason)


# --- hiding -------------------------------------------------------------------


@transaction.atomic
def hide_post(*, post: ForumPost, moderator: User) -> ForumPost:
    """Take a post out of feeds, detail and search for all but its author and moderators.

    The notifications about the post and its comments are withdrawn (see
    `restore_post`)."""
    require_perms(moderator, MODERATE_POSTS, message="You may not moderate posts.")
    if post.hidden_at is None:
        post.hidden_at = timezone.now()
        post.hidden_by = moderator
        post.save(update_fields=["hidden_at", "hidden_by", "updated_at"])
        withdraw_post_notifications(post_id=post.pk)
        recount_public_posts(author_id=post.user_id)
        post_cache.invalidate_post(post.pk)
        if post.tag_names:
            post_cache.invalidate_tags()
        events.post_visibility_changed(post.pk)
    return post


@transaction.atomic
def restore_post(*, post: ForumPost, moderator: User) -> ForumPost:
    """Show a hidden post again. The notifications withdrawn when it was hidden are
    not re-created: that news is stale, and telling it twice is worse than not."""
    require_perms(moderator, MODERATE_POSTS, message="You may not moderate posts.")
    if post.hidden_at is not None:
        post.hidden_at = None
        post.hidden_by = None
        post.save(update_fields=["hidden_at", "hidden_by", "updated_at"])
        recount_public_posts(author_id=post.user_id)
        post_cache.invalidate_post(post.pk)
        if post.tag_names:
            post_cache.invalidate_tags()
    return post


def _counted(comment: ForumComment) -> bool:
    """Whether the comment is in its post's `comment_count` (shown to everyone)."""
    return comment.hidden_at is None and not comment.is_deleted


@transaction.atomic
def hide_comment(*, comment: ForumComment, moderator: User) -> ForumComment:
    """Take a comment out of comment lists for all but its author and moderators.

    `comment_count` is what everyone sees, so a hidden comment leaves it. The
    notifications about the comment are withdrawn (see `restore_comment`).
    """
    require_perms(moderator, MODERATE_COMMENTS, message="You may not moderate comments.")
    locked = ForumComment.objects.select_for_update().get(pk=comment.pk)
    if locked.hidden_at is None:
        if _counted(locked):
            ForumPost.objects.filter(pk=locked.post_id, comment_count__gt=0).update(
                comment_count=F("comment_count") - 1
            )
            post_cache.invalidate_post(locked.post_id)
        locked.hidden_at = timezone.now()
        locked.hidden_by = moderator
        locked.save(update_fields=["hidden_at", "hidden_by", "updated_at"])
        withdraw_comment_notifications(comment_id=locked.pk)
    return locked


@transaction.atomic
def restore_comment(*, comment: ForumComment, moderator: User) -> ForumComment:
    """Show a hidden comment again; as with `restore_post`, the notifications
    withdrawn when it was hidden are not re-created."""
    require_perms(moderator, MODERATE_COMMENTS, message="You may not moderate comments.")
    locked = ForumComment.objects.select_for_update().get(pk=comment.pk)
    if locked.hidden_at is not None:
        locked.hidden_at = None
        locked.hidden_by = None
        locked.save(update_fields=["hidden_at", "hidden_by", "updated_at"])
        if _counted(locked):
            ForumPost.objects.filter(pk=locked.post_id).update(comment_count=F("comment_count") + 1)
            post_cache.invalidate_post(locked.post_id)
    return locked
