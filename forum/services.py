"""Forum writes: one function per use case. Events go out on commit."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied

from core.exceptions import invalid
from core.text import find_profanity, mask_profanity, to_plain_text
from users.models import Profile

from . import events
from .media import claim_media
from .models import ForumComment, ForumPost, PostLike, Privacy, Tag
from .selectors import visible_posts


def _clean_content(value: str, *, field: str, max_length: int) -> str:
    text = to_plain_text(value or "")
    if not text:
        raise invalid(field, "This field may not be blank.", "blank")
    if len(text) > max_length:
        raise invalid(
            field, f"Ensure this field has at most {max_length} characters.", "max_length"
        )
    words = settings.FORUM["PROFANITY_WORDS"]
    if settings.FORUM["PROFANITY_MODE"] == "reject":
        if find_profanity(text, words):
            raise invalid(
                field, "Please keep it civil: this text contains banned words.", "profanity"
            )
        return text
    return mask_profanity(text, words)


def _clean_tags(names: list[str]) -> list[Tag]:
    cleaned = sorted({n.strip().lower().lstrip("#") for n in names if n and n.strip()})
    if len(cleaned) > settings.FORUM["MAX_TAGS"]:
        raise invalid("tags", f"At most {settings.FORUM['MAX_TAGS']} tags.", "too_many_tags")
    Tag.objects.bulk_create([Tag(name=n) for n in cleaned], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=cleaned))


@transaction.atomic
def create_post(
    *,
    author,
    content: str,
    media_url: str | None = None,
    media: list | None = None,
    tags: list[str] | None = None,
    privacy: str = Privacy.PUBLIC,
) -> ForumPost:
    post = ForumPost.objects.create(
        user=author,
        content=_clean_content(
            content, field="content", max_length=settings.FORUM["POST_MAX_LENGTH"]
        ),
        privacy=privacy,
    )
    claim_media(owner=author, post=post, media_url=media_url, media_ids=media or [])
    if tags:
        post.tags.set(_clean_tags(tags))
    Profile.objects.filter(user=author).update(post_count=F("post_count") + 1)
    if privacy == Privacy.PUBLIC:
        events.post_new(post)
    return post


@transaction.atomic
def update_post(
    *,
    post: ForumPost,
    editor,
    content: str | None = None,
    tags: list[str] | None = None,
    privacy: str | None = None,
    fields: set[str],
) -> ForumPost:
    if post.user_id != editor.pk:
        raise PermissionDenied("Only the author can edit this post.")
    changed = ["updated_at"]
    if "content" in fields:
        post.content = _clean_content(
            content, field="content", max_length=settings.FORUM["POST_MAX_LENGTH"]
        )
        changed.append("content")
    if "privacy" in fields:
        post.privacy = privacy
        changed.append("privacy")
    if "tags" in fields:
        post.tags.set(_clean_tags(tags or []))
    post.is_edited = True
    changed.append("is_edited")
    post.save(update_fields=changed)
    return post


@transaction.atomic
def delete_post(*, post: ForumPost, actor) -> None:
    if post.user_id != actor.pk:
        raise PermissionDenied("Only the author can delete this post.")
    Profile.objects.filter(user_id=post.user_id, post_count__gt=0).update(
        post_count=F("post_count") - 1
    )
    post.delete()


@dataclass(frozen=True)
class LikeState:
    is_liked: bool
    like_count: int


def _get_visible_post(*, user, post_id) -> ForumPost:
    try:
        return visible_posts(viewer=user).only("id", "user_id", "privacy").get(pk=post_id)
    except (ForumPost.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise NotFound("No such post.") from exc


def set_post_like(*, user, post_id, liked: bool) -> LikeState:
    """Like or unlike, idempotently; `like_count` stays equal to the rows.

    The like row is the source of truth: only an insert that happened moves the
    counter up and only a delete that removed a row moves it down, so parallel
    requests (many users, or one user clicking fast) never drift the count.
    """
    post = _get_visible_post(user=user, post_id=post_id)
    with transaction.atomic():
        changed = False
        if liked:
            try:
                with transaction.atomic():
                    PostLike.objects.create(post=post, user=user)
                changed = True
            except IntegrityError:
                changed = False
            delta = 1
        else:
            deleted, _ = PostLike.objects.filter(post=post, user=user).delete()
            changed = deleted > 0
            delta = -1
        if changed:
            ForumPost.objects.filter(pk=post.pk).update(like_count=F("like_count") + delta)
        like_count = ForumPost.objects.values_list("like_count", flat=True).get(pk=post.pk)
        if changed:
            events.post_liked(post_id=post.pk, like_count=like_count)
    return LikeState(is_liked=liked, like_count=like_count)


def toggle_post_like(*, user, post_id) -> LikeState:
    post = _get_visible_post(user=user, post_id=post_id)
    currently = PostLike.objects.filter(post=post, user=user).exists()
    return set_post_like(user=user, post_id=post.pk, liked=not currently)


@transaction.atomic
def create_comment(*, post: ForumPost, author, content: str, parent_id=None) -> ForumComment:
    depth = 0
    parent = None
    if parent_id is not None:
        parent = ForumComment.objects.filter(pk=parent_id, post=post).first()
        if parent is None:
            raise invalid("parent", "No such comment on this post.", "does_not_exist")
        depth = parent.depth + 1
        if depth > settings.FORUM["MAX_COMMENT_DEPTH"]:
            raise invalid("parent", "Replies cannot nest any deeper.", "max_depth")
    comment = ForumComment.objects.create(
        post=post,
        user=author,
        parent=parent,
        depth=depth,
        content=_clean_content(
            content, field="content", max_length=settings.FORUM["COMMENT_MAX_LENGTH"]
        ),
    )
    ForumPost.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
    events.comment_new(comment)
    return comment


@transaction.atomic
def update_comment(*, comment: ForumComment, editor, content: str) -> ForumComment:
    if comment.user_id != editor.pk or comment.is_deleted:
        raise PermissionDenied("Only the author can edit this comment.")
    comment.content = _clean_content(
        content, field="content", max_length=settings.FORUM["COMMENT_MAX_LENGTH"]
    )
    comment.is_edited = True
    comment.save(update_fields=["content", "is_edited", "updated_at"])
    return comment


@transaction.atomic
def delete_comment(*, comment: ForumComment, actor) -> None:
    """Delete a comment; one with replies becomes a placeholder so the thread holds."""
    if comment.user_id != actor.pk or comment.is_deleted:
        raise PermissionDenied("Only the author can delete this comment.")
    if comment.replies.exists():
        comment.is_deleted = True
        comment.content = ""
        comment.save(update_fields=["is_deleted", "content", "updated_at"])
    else:
        comment.delete()
    ForumPost.objects.filter(pk=comment.post_id, comment_count__gt=0).update(
        comment_count=F("comment_count") - 1
    )


@transaction.atomic
def hide_post(*, post: ForumPost, moderator) -> ForumPost:
    """Take a post out of feeds, detail and search for all but its author and moderators."""
    if post.hidden_at is None:
        post.hidden_at = timezone.now()
        post.hidden_by = moderator
        post.save(update_fields=["hidden_at", "hidden_by", "updated_at"])
    return post


@transaction.atomic
def restore_post(*, post: ForumPost, moderator) -> ForumPost:
    if post.hidden_at is not None:
        post.hidden_at = None
        post.hidden_by = None
        post.save(update_fields=["hidden_at", "hidden_by", "updated_at"])
    return post
