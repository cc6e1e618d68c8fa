"""Forum writes: one function per use case. Events go out on commit."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Subquery
from django.db.models.functions import Coalesce

from core import error_codes as core_codes
from core.exceptions import Forbidden, invalid
from core.locks import exists_for_share
from core.text import find_profanity, mask_profanity, to_plain_text
from core.types import Id, parse_uuid
from notifications.models import Kind
from notifications.services import Target, notify, notify_mentions, withdraw_notifications
from users.cache import invalidate_profile
from users.models import Profile, User

from . import cache as post_cache
from . import error_codes, events
from .media import claim_media
from .models import CommentLike, ForumComment, ForumPost, PostLike, Privacy, Tag, tag_name
from .permissions import REMOVE_POSTS
from .selectors import (
    fetch_visible_comment,
    fetch_visible_post,
    visible_post,
    visible_posts,
)


def _clean_content(value: str, *, field: str, max_length: int) -> str:
    text = to_plain_text(value or "")
    if not text:
        raise invalid(field, "This field may not be blank.", core_codes.BLANK)
    if len(text) > max_length:
        raise invalid(
            field,
            f"Ensure this field has at most {max_length} characters.",
            core_codes.MAX_LENGTH,
        )
    words = settings.FORUM["PROFANITY_WORDS"]
    if settings.FORUM["PROFANITY_MODE"] == "reject":
        if find_profanity(text, words):
            raise invalid(
                field,
                "Please keep it civil: this text contains banned words.",
                error_codes.PROFANITY,
            )
        return text
    return mask_profanity(text, words)


def _clean_tags(names: list[str]) -> list[Tag]:
    cleaned = sorted({tag_name(n) for n in names if n and n.strip()})
    if len(cleaned) > settings.FORUM["MAX_TAGS"]:
        raise invalid(
            "tags", f"At most {settings.FORUM['MAX_TAGS']} tags.", error_codes.TOO_MANY_TAGS
        )
    Tag.objects.bulk_create([Tag(name=n) for n in cleaned], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=cleaned))


def sync_tag_names(*, post: ForumPost) -> None:
    """Copy the post's tags into `tag_names` (what the API shows and search indexes)
    after the relation changed elsewhere, e.g. in the admin."""
    post.tag_names = " ".join(sorted(post.tags.values_list("name", flat=True)))
    ForumPost.objects.filter(pk=post.pk).update(tag_names=post.tag_names)
    post_cache.invalidate_post(post.pk)
    post_cache.invalidate_tags()


def _set_tags(post: ForumPost, names: list[str]) -> None:
    """Set the post's tags and `tag_names`, the copy full-text search indexes."""
    tags = _clean_tags(names)
    post.tags.set(tags)
    post.tag_names = " ".join(sorted(tag.name for tag in tags))
    ForumPost.objects.filter(pk=post.pk).update(tag_names=post.tag_names)
    post_cache.invalidate_tags()


def recount_public_posts(*, author_id: Id) -> None:
    """Set the author's `post_count` to their public, not hidden posts: what any
    viewer of the profile may see, so the shared profile cache can hold it.

    The profile row is locked first, as an UPDATE of a counter locks it (no key:
    a delivery key-share-locking the profile is not held up): a recount waits
    for another in flight for the same author, then counts with a fresh
    snapshot, the post that one made included. Called by every write that
    changes whether a post counts."""
    locked = Profile.objects.select_for_update(no_key=True).filter(user_id=author_id)
    list(locked.values_list("pk"))
    public = ForumPost.objects.filter(
        user_id=author_id, privacy=Privacy.PUBLIC, hidden_at__isnull=True
    )
    counted = public.order_by().values("user_id").annotate(n=Count("pk")).values("n")
    Profile.objects.filter(user_id=author_id).update(post_count=Coalesce(Subquery(counted), 0))
    invalidate_profile(author_id)


@transaction.atomic
def create_post(
    *,
    author: User,
    content: str,
    media_url: str | None = None,
    media: list[Id] | None = None,
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
        _set_tags(post, tags)
    if privacy == Privacy.PUBLIC:
        recount_public_posts(author_id=author.pk)
    if privacy == Privacy.PUBLIC:
        events.post_new(post)
    notify_mentions(
        text=post.content,
        actor_id=author.pk,
        target=Target("forum.post", post.pk),
        data={"post_id": str(post.pk)},
        can_see=_can_see(post),
    )
    return post


@transaction.atomic
def update_post(
    *,
    post: ForumPost,
    editor: User,
    content: str | None = None,
    tags: list[str] | None = None,
    privacy: str | None = None,
    fields: set[str],
) -> ForumPost:
    if post.user_id != editor.pk:
        raise Forbidden(core_codes.PERMISSION_DENIED, "Only the author can edit this post.")
    changed = ["updated_at"]
    if "content" in fields:
        post.content = _clean_content(
            content, field="content", max_length=settings.FORUM["POST_MAX_LENGTH"]
        )
        changed.append("content")
    privacy_changed = "privacy" in fields and privacy != post.privacy
    if "privacy" in fields:
        post.privacy = privacy
        changed.append("privacy")
        if post.tag_names:
            post_cache.invalidate_tags()
    if "tags" in fields:
        _set_tags(post, tags or [])
    post.is_edited = True
    changed.append("is_edited")
    post.save(update_fields=changed)
    post_cache.invalidate_post(post.pk)
    if privacy_changed:
        recount_public_posts(author_id=post.user_id)
        events.post_visibility_changed(post.pk)
    if "content" in fields and post.hidden_at is None:
        notify_mentions(
            text=post.content,
            actor_id=editor.pk,
            target=Target("forum.post", post.pk),
            data={"post_id": str(post.pk)},
            can_see=_can_see(post),
        )
    return post


def withdraw_post_notifications(*, post_id: Id) -> int:
    """Withdraw the notifications about a post and about every comment on it: the
    comments go out of sight (or away) with their post."""
    comment_ids = ForumComment.objects.filter(post_id=post_id).values_list("pk", flat=True)
    return withdraw_notifications(
        targets=[Target("forum.post", post_id)]
        + [Target("forum.comment", pk) for pk in comment_ids]
    )


def withdraw_comment_notifications(*, comment_id: Id) -> int:
    """Withdraw the notifications about one comment. Those about replies to it
    stay: the replies are still there."""
    return withdraw_notifications(targets=[Target("forum.comment", comment_id)])


def hold_post_for_notification(*, post_id: Id) -> bool:
    """Whether news about the post may still be told: it exists and is not hidden.
    Holds it until the delivery commits (`notifications.targets`)."""
    post_id = parse_uuid(post_id)
    return post_id is not None and exists_for_share(
        ForumPost.objects.filter(pk=post_id, hidden_at__isnull=True)
    )


def hold_comment_for_notification(*, comment_id: Id) -> bool:
    """Whether news about the comment may still be told: it exists, is neither
    hidden nor a deleted placeholder, and its post is not hidden. Holds both."""
    comment_id = parse_uuid(comment_id)
    return comment_id is not None and exists_for_share(
        ForumComment.objects.filter(
            pk=comment_id,
            hidden_at__isnull=True,
            is_deleted=False,
            post__hidden_at__isnull=True,
        )
    )


@transaction.atomic
def delete_post(*, post: ForumPost, actor: User, as_moderator: bool = False) -> None:
    """The author deletes their post; staff may remove any (`as_moderator`, admin).

    Notifications about the post and its comments are withdrawn with it."""
    if post.user_id != actor.pk and not (as_moderator and actor.has_perm(REMOVE_POSTS)):
        raise Forbidden(core_codes.PERMISSION_DENIED, "Only the author can delete this post.")
    # Locked first, so a delivery about the post or a comment on it (which holds
    # them, `hold_*_for_notification`) is either withdrawn below or sees it gone.
    list(ForumPost.objects.select_for_update().filter(pk=post.pk).values_list("pk", flat=True))
    # Before the delete: its comments (and their ids) go with the post.
    withdraw_post_notifications(post_id=post.pk)
    post_cache.invalidate_post(post.pk)
    if post.tag_names:
        post_cache.invalidate_tags()
    post_id = post.pk
    post.delete()
    recount_public_posts(author_id=post.user_id)
    events.post_deleted(post_id)


@dataclass(frozen=True)
class LikeState:
    """A like's outcome as REST answers it (`PostLikeState` / `CommentLikeState`);
    `comment_id` is None for a post's."""

    post_id: Id
    is_liked: bool
    like_count: int
    comment_id: Id | None = None


def _can_see(post: ForumPost) -> Callable[[User], bool]:
    """Whether a user may see `post`, for the mentions told about it."""
    return lambda user: visible_post(viewer=user, post_id=post.pk) is not None


def _set_like(
    *,
    like_model: type[PostLike | CommentLike],
    target: ForumPost | ForumComment,
    target_field: str,
    user: User,
    liked: bool,
) -> tuple[bool, int]:
    """Insert or delete the like row; (whether it changed, the resulting count).

    The like row is the source of truth: only an insert that happened moves the
    counter up and only a delete that removed a row moves it down, so parallel
    requests (many users, or one user clicking fast) never drift the count.
    """
    counted = type(target).objects.filter(pk=target.pk)
    with transaction.atomic():
        if liked:
            try:
                with transaction.atomic():
                    like_model.objects.create(**{target_field: target, "user": user})
                changed = True
            except IntegrityError:
                changed = False
            delta = 1
        else:
            deleted, _ = like_model.objects.filter(**{target_field: target, "user": user}).delete()
            changed = deleted > 0
            delta = -1
        if changed:
            counted.update(like_count=F("like_count") + delta)
        like_count = counted.values_list("like_count", flat=True).get()
    return changed, like_count


@dataclass(frozen=True)
class _Likes:
    """What differs between liking a post and liking a comment."""

    like_model: type[PostLike | CommentLike]
    field: str  # the like row's foreign key to what is liked
    fetch: Callable[[User, Id], ForumPost | ForumComment]  # visible to the user, or 404
    # The outcome as REST shows it: (what is liked, is_liked, like_count).
    state: Callable[[ForumPost | ForumComment, bool, int], LikeState]
    # In the like's transaction, after a like row was added or removed.
    changed: Callable[..., None]


def _like(likes: _Likes, *, user: User, target_id: Id, liked: bool | None) -> LikeState:
    """Like (`liked` True), unlike (False) or toggle (None) what `likes` is about."""
    target = likes.fetch(user, target_id)
    if liked is None:
        liked = not likes.like_model.objects.filter(**{likes.field: target, "user": user}).exists()
    with transaction.atomic():
        changed, like_count = _set_like(
            like_model=likes.like_model,
            target=target,
            target_field=likes.field,
            user=user,
            liked=liked,
        )
        state = likes.state(target, liked, like_count)
        if changed:
            likes.changed(target=target, user=user, state=state)
    return state


def _post_like_changed(*, target: ForumPost, user: User, state: LikeState) -> None:
    post_cache.invalidate_post(target.pk)
    events.post_liked(state)
    if state.is_liked and target.hidden_at is None:
        notify(
            recipient_id=target.user_id,
            kind=Kind.POST_LIKED,
            actor_id=user.pk,
            target=Target("forum.post", target.pk),
            data={"post_id": str(target.pk)},
        )


def _comment_like_changed(*, target: ForumComment, user: User, state: LikeState) -> None:
    events.comment_liked(state)
    shown = ForumComment.objects.filter(
        pk=target.pk, hidden_at__isnull=True, post__hidden_at__isnull=True
    )
    if state.is_liked and target.user_id != user.pk and shown.exists():
        notify(
            recipient_id=target.user_id,
            kind=Kind.COMMENT_LIKED,
            actor_id=user.pk,
            target=Target("forum.comment", target.pk),
            data={"post_id": str(target.post_id), "comment_id": str(target.pk)},
        )


_POST_LIKES = _Likes(
    PostLike,
    "post",
    lambda user, pk: fetch_visible_post(viewer=user, post_id=pk),
    lambda post, liked, count: LikeState(post_id=post.pk, is_liked=liked, like_count=count),
    _post_like_changed,
)
_COMMENT_LIKES = _Likes(
    CommentLike,
    "comment",
    lambda user, pk: fetch_visible_comment(viewer=user, comment_id=pk, live=True),
    lambda comment, liked, count: LikeState(
        post_id=comment.post_id, comment_id=comment.pk, is_liked=liked, like_count=count
    ),
    _comment_like_changed,
)


def set_post_like(*, user: User, post_id: Id, liked: bool) -> LikeState:
    """Like or unlike a post, idempotently; `like_count` stays equal to the rows."""
    return _like(_POST_LIKES, user=user, target_id=post_id, liked=liked)


def toggle_post_like(*, user: User, post_id: Id) -> LikeState:
    return _like(_POST_LIKES, user=user, target_id=post_id, liked=None)


def set_comment_like(*, user: User, comment_id: Id, liked: bool) -> LikeState:
    """Like or unlike a comment, idempotently; same guarantees as `set_post_like`."""
    return _like(_COMMENT_LIKES, user=user, target_id=comment_id, liked=liked)


def toggle_comment_like(*, user: User, comment_id: Id) -> LikeState:
    return _like(_COMMENT_LIKES, user=user, target_id=comment_id, liked=None)


@transaction.atomic
def create_comment(
    *, post: ForumPost, author: User, content: str, parent_id: Id | None = None
) -> ForumComment:
    depth = 0
    parent = None
    if parent_id is not None:
        # Not a comment hidden from the author by a block: as if it did not exist.
        parent = (
            ForumComment.objects.filter(pk=parent_id, post=post).not_blocked_for(author).first()
        )
        if parent is None:
            raise invalid("parent", "No such comment on this post.", core_codes.DOES_NOT_EXIST)
        depth = parent.depth + 1
        if depth > settings.FORUM["MAX_COMMENT_DEPTH"]:
            raise invalid("parent", "Replies cannot nest any deeper.", error_codes.MAX_DEPTH)
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
    post_cache.invalidate_post(post.pk)
    events.comment_new(comment)
    if post.hidden_at is None:
        target = Target("forum.comment", comment.pk)
        data = {"post_id": str(post.pk), "comment_id": str(comment.pk)}
        told = {author.pk}
        if parent is not None and parent.hidden_at is None and parent.user_id not in told:
            notify(
                recipient_id=parent.user_id,
                kind=Kind.REPLY_TO_COMMENT,
                actor_id=author.pk,
                target=target,
                data={**data, "excerpt": comment.content[:140]},
            )
            told.add(parent.user_id)
        if post.user_id not in told:
            notify(
                recipient_id=post.user_id,
                kind=Kind.COMMENT_ON_POST,
                actor_id=author.pk,
                target=target,
                data={**data, "excerpt": comment.content[:140]},
            )
            told.add(post.user_id)
        notify_mentions(
            text=comment.content,
            actor_id=author.pk,
            target=target,
            data=data,
            exclude=told,
            can_see=_can_see(post),
        )
    return comment


@transaction.atomic
def update_comment(*, comment: ForumComment, editor: User, content: str) -> ForumComment:
    if comment.user_id != editor.pk or comment.is_deleted:
        raise Forbidden(core_codes.PERMISSION_DENIED, "Only the author can edit this comment.")
    comment.content = _clean_content(
        content, field="content", max_length=settings.FORUM["COMMENT_MAX_LENGTH"]
    )
    comment.is_edited = True
    comment.save(update_fields=["content", "is_edited", "updated_at"])
    if comment.hidden_at is None:
        notify_mentions(
            text=comment.content,
            actor_id=editor.pk,
            target=Target("forum.comment", comment.pk),
            data={"post_id": str(comment.post_id), "comment_id": str(comment.pk)},
            can_see=lambda user: (
                visible_posts(viewer=user)
                .filter(pk=comment.post_id, hidden_at__isnull=True)
                .exists()
            ),
        )
    return comment


@transaction.atomic
def delete_comment(*, comment: ForumComment, actor: User) -> None:
    """Delete a comment; one with replies becomes a placeholder so the thread holds.

    Either way the notifications about it are withdrawn."""
    comment = ForumComment.objects.select_for_update().get(pk=comment.pk)
    if comment.user_id != actor.pk or comment.is_deleted:
        raise Forbidden(core_codes.PERMISSION_DENIED, "Only the author can delete this comment.")
    withdraw_comment_notifications(comment_id=comment.pk)
    # A hidden comment already left the count (forum.moderation.hide_comment).
    counted = comment.hidden_at is None
    if comment.replies.exists():
        comment.is_deleted = True
        comment.content = ""
        comment.save(update_fields=["is_deleted", "content", "updated_at"])
    else:
        comment.delete()
    if counted:
        ForumPost.objects.filter(pk=comment.post_id, comment_count__gt=0).update(
            comment_count=F("comment_count") - 1
        )
        post_cache.invalidate_post(comment.post_id)
