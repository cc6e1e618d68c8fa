"""Chat writes: one function per use case, shared by REST and the socket.

Every write is atomic; events go out on commit (`chat.events`). Writes that
change a conversation's membership or add to it lock the conversation row first
(`fetch_conversation_for(lock=True)`), so they happen one at a time per
conversation: a member removed cannot send after the removal committed, a group
never grows past its limit, `last_message` is the newest message.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, When
from django.utils import timezone

from core import error_codes as core_codes
from core.exceptions import Conflict, Forbidden, InvalidInput, NotFound, invalid
from core.permissions import require_perms
from core.reports import ReportReason, clean_report_details
from core.text import to_plain_text
from core.types import Id
from notifications.models import Kind as NotificationKind
from notifications.services import Target, notify, withdraw_notifications
from realtime.presence import online_users
from users import error_codes as user_codes
from users.models import Block, User
from users.selectors import is_blocked_between, users_visible_to

from . import error_codes, events
from .media import claim_avatar, claim_for_message, drop_message_media
from .models import (
    ContentType,
    Conversation,
    ConversationParticipant,
    Kind,
    Message,
    MessageReport,
    ParticipationGap,
    ReportStatus,
    Role,
    direct_key,
)
from .permissions import HANDLE_MESSAGE_REPORTS, MODERATE_MESSAGES
from .realtime import conversation_left
from .selectors import (
    active_participants,
    fetch_any_message,
    fetch_conversation_for,
    fetch_message_for,
    fetch_message_in,
    fetch_participation,
    unread_count,
)

NOTIFICATION_TARGET = "chat.conversation"
TITLE_MAX_LENGTH = 100
CLIENT_REF_MAX_LENGTH = 64


def max_group_size() -> int:
    return int(settings.CHAT_MAX_GROUP_SIZE)


def max_message_length() -> int:
    return int(settings.CHAT_MAX_MESSAGE_LENGTH)


# --- checks ----------------------------------------------------------------------


def _check_can_send(user: User) -> None:
    if user.is_suspended:
        raise Forbidden(user_codes.ACCOUNT_SUSPENDED, "A suspended account cannot send messages.")


def _as_uuids(values: Iterable, *, field: str) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except (ValueError, TypeError, AttributeError) as exc:
            raise invalid(field, "Not a valid user id.", core_codes.DOES_NOT_EXIST) from exc
    return list(dict.fromkeys(ids))


def _users_to_add(*, actor: User, user_ids: Iterable, field: str) -> list[User]:
    """The users `actor` may bring into a conversation: visible to them (active,
    not suspended, not blocking them; anyone else is unknown, 400), and not blocked
    by them (403 `user_blocked`). `actor` is left out."""
    ids = [uid for uid in _as_uuids(user_ids, field=field) if uid != actor.pk]
    if not ids:
        return []
    users = {u.pk: u for u in users_visible_to(actor).filter(pk__in=ids)}
    if len(users) != len(ids):
        raise invalid(field, "No such user.", core_codes.DOES_NOT_EXIST)
    if Block.objects.filter(blocker_id=actor.pk, blocked_id__in=ids).exists():
        raise Forbidden(user_codes.USER_BLOCKED, "You blocked one of these users.")
    return [users[uid] for uid in ids]


def _clean_title(title: str | None) -> str:
    text = to_plain_text(title or "")
    if not text:
        raise invalid("title", "This field may not be blank.", core_codes.BLANK)
    if len(text) > TITLE_MAX_LENGTH:
        raise invalid(
            "title",
            f"Ensure this field has at most {TITLE_MAX_LENGTH} characters.",
            core_codes.MAX_LENGTH,
        )
    return text


def _clean_body(body: str | None, *, required: bool) -> str:
    text = to_plain_text(body or "")
    if required and not text:
        raise invalid("body", "This field may not be blank.", core_codes.BLANK)
    limit = max_message_length()
    if len(text) > limit:
        raise invalid(
            "body", f"Ensure this field has at most {limit} characters.", core_codes.MAX_LENGTH
        )
    return text


def _check_group_size(count: int, *, field: str) -> None:
    limit = max_group_size()
    if count > limit:
        raise invalid(
            field, f"A group has at most {limit} participants.", error_codes.GROUP_TOO_LARGE
        )


def _require_group(conversation: Conversation) -> None:
    if conversation.kind != Kind.GROUP:
        raise InvalidInput(error_codes.NOT_A_GROUP, "Only a group can do this.")


def _require_manager(participation: ConversationParticipant) -> None:
    if participation.role not in (Role.OWNER, Role.ADMIN):
        raise Forbidden(core_codes.PERMISSION_DENIED, "Only the group's owner and admins can.")


def _touch(
    conversation: Conversation, *, at: datetime | None = None, last_message: Message | None = None
) -> None:
    conversation.last_activity_at = at or timezone.now()
    fields = ["last_activity_at"]
    if last_message is not None:
        conversation.last_message = last_message
        fields.append("last_message")
    conversation.save(update_fields=fields)


# --- conversations -----------------------------------------------------------------


@transaction.atomic
def start_direct(*, user: User, other_id: Id) -> tuple[Conversation, bool]:
    """The one direct conversation of `user` and `other_id`: (it, whether it is new).

    Two people starting it at the same moment get the same one: the unique
    `direct_key` decides, and the loser reads the winner's row."""
    (other_uuid,) = _as_uuids([other_id], field="participant_ids")
    if other_uuid == user.pk:
        raise invalid(
            "participant_ids", "You cannot chat with yourself.", error_codes.CANNOT_CHAT_WITH_SELF
        )
    key = direct_key(user.pk, other_uuid)
    existing = Conversation.objects.filter(direct_key=key).first()
    if existing is not None:
        return existing, False
    (other,) = _users_to_add(actor=user, user_ids=[other_uuid], field="participant_ids")
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                kind=Kind.DIRECT, direct_key=key, created_by=user
            )
            ConversationParticipant.objects.bulk_create(
                [
                    ConversationParticipant(conversation=conversation, user=user),
                    ConversationParticipant(conversation=conversation, user=other),
                ]
            )
    except IntegrityError:
        # Started by the other side (or a second device) meanwhile: theirs is ours.
        return Conversation.objects.get(direct_key=key), False
    events.conversation_updated(
        conversation.pk,
        change=events.conversation_change(
            events.CREATED, actor_id=user.pk, added=[user.pk, other.pk]
        ),
    )
    return conversation, True


@transaction.atomic
def create_group(*, creator: User, title: str, participant_ids: Iterable) -> Conversation:
    """A group of `creator` (its owner) and the users named."""
    title = _clean_title(title)
    members = _users_to_add(actor=creator, user_ids=participant_ids, field="participant_ids")
    _check_group_size(len(members) + 1, field="participant_ids")
    conversation = Conversation.objects.create(kind=Kind.GROUP, title=title, created_by=creator)
    now = conversation.created_at
    ConversationParticipant.objects.bulk_create(
        [
            ConversationParticipant(
                conversation=conversation, user=creator, role=Role.OWNER, joined_at=now
            )
        ]
        + [
            ConversationParticipant(conversation=conversation, user=member, joined_at=now)
            for member in members
        ]
    )
    events.conversation_updated(
        conversation.pk,
        change=events.conversation_change(
            events.CREATED, actor_id=creator.pk, added=[creator.pk, *(m.pk for m in members)]
        ),
    )
    return conversation


@transaction.atomic
def set_muted(*, user: User, conversation_id: Id, muted: bool) -> ConversationParticipant:
    """Mute or unmute a conversation for oneself: no notifications while muted."""
    participation = fetch_participation(viewer=user, conversation_id=conversation_id, lock=True)
    if participation.muted != muted:
        participation.muted = muted
        participation.save(update_fields=["muted"])
    return participation


_UNSET = object()


@transaction.atomic
def update_conversation(
    *,
    actor: User,
    conversation_id: Id,
    title: object = _UNSET,
    avatar: object = _UNSET,
    muted: object = _UNSET,
) -> None:
    """PATCH: any of rename, avatar (owner, admin) and `muted` (oneself), all or nothing.
    A group's title and avatar change under one lock, in one save and one event."""
    if title is not _UNSET or avatar is not _UNSET:
        conversation = fetch_conversation_for(
            viewer=actor, conversation_id=conversation_id, lock=True
        )
        _require_group(conversation)
        _require_manager(fetch_participation(viewer=actor, conversation_id=conversation.pk))
        changed = []
        if title is not _UNSET:
            conversation.title = _clean_title(title)
            changed.append("title")
        if avatar is not _UNSET:
            # One of the actor's uploads (`chat/upload/`), or None to remove it.
            conversation.avatar = (
                None if avatar is None else claim_avatar(owner=actor, media_id=avatar)
            )
            changed.append("avatar")
        conversation.save(update_fields=changed)
        _touch(conversation)
        events.conversation_updated(
            conversation.pk,
            change=events.conversation_change(
                events.UPDATED,
                actor_id=actor.pk,
                fields=["avatar_url" if name == "avatar" else name for name in changed],
            ),
        )
    if muted is not _UNSET:
        set_muted(user=actor, conversation_id=conversation_id, muted=bool(muted))
    if title is _UNSET and avatar is _UNSET and muted is _UNSET:
        fetch_participation(viewer=actor, conversation_id=conversation_id)


# --- participants ------------------------------------------------------------------


@transaction.atomic
def add_participants(
    *, actor: User, conversation_id: Id, user_ids: Iterable
) -> list[ConversationParticipant]:
    """Add users to a group (owner, admin). A current participant named again is a
    400 `already_participant`. New members start with everything before their
    arrival read. A former one rejoins: the time they were away becomes one of
    their gaps (they never see what was said in it, `chat.selectors`), their old
    read marker stays, and everything before their return counts as read."""
    conversation = fetch_conversation_for(viewer=actor, conversation_id=conversation_id, lock=True)
    _require_group(conversation)
    _require_manager(fetch_participation(viewer=actor, conversation_id=conversation.pk))
    ids = _as_uuids(user_ids, field="user_ids")
    if not ids:
        raise invalid("user_ids", "Name at least one user.", core_codes.REQUIRED)
    if actor.pk in ids or active_participants(conversation.pk).filter(user_id__in=ids).exists():
        raise invalid("user_ids", "Already in this conversation.", error_codes.ALREADY_PARTICIPANT)
    users = _users_to_add(actor=actor, user_ids=ids, field="user_ids")
    current = active_participants(conversation.pk).count()
    _check_group_size(current + len(users), field="user_ids")
    now = timezone.now()
    former = {
        p.user_id: p
        for p in ConversationParticipant.objects.filter(conversation=conversation, user_id__in=ids)
    }
    added, gaps = [], []
    for user in users:
        participation = former.get(user.pk)
        if participation is None:
            participation = ConversationParticipant(
                conversation=conversation, user=user, last_read_message=conversation.last_message
            )
        else:
            gaps.append(
                ParticipationGap(
                    participant=participation, started_at=participation.left_at, ended_at=now
                )
            )
            participation.has_gaps = True
        participation.role = Role.MEMBER
        participation.joined_at = now
        participation.left_at = None
        participation.muted = False
        participation.save()
        added.append(participation)
    ParticipationGap.objects.bulk_create(gaps)
    _touch(conversation, at=now)
    events.conversation_updated(
        conversation.pk,
        change=events.conversation_change(
            events.PARTICIPANTS_ADDED, actor_id=actor.pk, added=[p.user_id for p in added]
        ),
    )
    return added


def _depart(
    conversation: Conversation, participation: ConversationParticipant, *, actor: User
) -> None:
    """`participation` leaves (`actor` is they) or is removed by `actor`; a group
    keeps an owner: the oldest admin, else the oldest member, takes over from a
    departing owner."""
    was_owner = participation.role == Role.OWNER
    participation.left_at = timezone.now()
    participation.role = Role.MEMBER
    participation.save(update_fields=["left_at", "role"])
    if was_owner:
        heir = (
            active_participants(conversation.pk)
            # Admins first, then by seniority.
            .order_by(Case(When(role=Role.ADMIN, then=0), default=1), "joined_at", "id")
            .first()
        )
        if heir is not None:
            heir.role = Role.OWNER
            heir.save(update_fields=["role"])
    _touch(conversation, at=participation.left_at)
    # What they were told and have not read yet is no longer theirs to open.
    withdraw_notifications(
        targets=[conversation_target(conversation_id=conversation.pk)],
        recipient_id=participation.user_id,
        unread_only=True,
    )
    left = actor.pk == participation.user_id
    events.conversation_updated(
        conversation.pk,
        change=events.conversation_change(
            events.PARTICIPANT_LEFT if left else events.PARTICIPANT_REMOVED,
            actor_id=actor.pk,
            removed=[participation.user_id],
        ),
        also_to=[participation.user_id],
    )
    # Their sockets lose the conversation's stream (typing) at once.
    conversation_left(conversation_id=conversation.pk, user_id=participation.user_id)


@transaction.atomic
def remove_participant(*, actor: User, conversation_id: Id, user_id: Id) -> None:
    """Remove a member (owner: anyone; admin: members). Removing oneself is leaving."""
    conversation = fetch_conversation_for(viewer=actor, conversation_id=conversation_id, lock=True)
    _require_group(conversation)
    (user_uuid,) = _as_uuids([user_id], field="user_id")
    if user_uuid == actor.pk:
        _depart(
            conversation,
            fetch_participation(viewer=actor, conversation_id=conversation.pk),
            actor=actor,
        )
        return
    mine = fetch_participation(viewer=actor, conversation_id=conversation.pk)
    _require_manager(mine)
    target = active_participants(conversation.pk).filter(user_id=user_uuid).first()
    if target is None:
        raise NotFound(core_codes.NOT_FOUND, "Not a participant of this conversation.")
    if target.role == Role.OWNER:
        raise Forbidden(error_codes.CANNOT_REMOVE_OWNER, "The group's owner cannot be removed.")
    if target.role == Role.ADMIN and mine.role != Role.OWNER:
        raise Forbidden(core_codes.PERMISSION_DENIED, "Only the owner can remove an admin.")
    _depart(conversation, target, actor=actor)


@transaction.atomic
def leave_conversation(*, user: User, conversation_id: Id) -> None:
    conversation = fetch_conversation_for(viewer=user, conversation_id=conversation_id, lock=True)
    _require_group(conversation)
    _depart(
        conversation, fetch_participation(viewer=user, conversation_id=conversation.pk), actor=user
    )


# --- messages ---------------------------------------------------------------------


def _clean_client_ref(client_ref: object) -> str | None:
    if client_ref is None or client_ref == "":
        return None
    client_ref = str(client_ref)
    if len(client_ref) > CLIENT_REF_MAX_LENGTH:
        raise invalid(
            "client_ref",
            f"Ensure this field has at most {CLIENT_REF_MAX_LENGTH} characters.",
            core_codes.MAX_LENGTH,
        )
    return client_ref


def _same_send(*, sender: User, conversation_id: Id, client_ref: str) -> Message | None:
    """The message `sender` stored with `client_ref`, if any; 400 if it was for
    another conversation (a client reusing its references)."""
    existing = Message.objects.filter(sender_id=sender.pk, client_ref=client_ref).first()
    if existing is not None and existing.conversation_id != conversation_id:
        raise invalid(
            "client_ref",
            "This reference was used for another conversation.",
            error_codes.CLIENT_REF_REUSED,
        )
    return existing


def _check_not_blocked(conversation: Conversation, sender: User) -> None:
    if conversation.kind != Kind.DIRECT:
        return
    other_id = (
        active_participants(conversation.pk)
        .exclude(user_id=sender.pk)
        .values_list("user_id", flat=True)
        .first()
    )
    if other_id is not None and is_blocked_between(sender.pk, other_id):
        raise Forbidden(user_codes.USER_BLOCKED, "You cannot message this user.")


@dataclass(frozen=True)
class Sent:
    message: Message
    created: bool

    def __iter__(self):
        return iter((self.message, self.created))


@transaction.atomic
def send_message(
    *,
    sender: User,
    conversation_id: Id,
    body: str | None = "",
    client_ref: str | None = None,
    media_ids: Iterable = (),
) -> Sent:
    """Send a message: `(message, created)`. The same `client_ref` again returns
    the stored message (`created` False) and stores nothing.

    Refused: a suspended sender (403 `account_suspended`), a non-participant (404),
    in a direct conversation a block either way (403 `user_blocked`), an empty
    message or a body over `CHAT_MAX_MESSAGE_LENGTH` (400 on `body`), media that
    are not the sender's own unattached uploads (400 on `media_ids`)."""
    _check_can_send(sender)
    conversation = fetch_conversation_for(viewer=sender, conversation_id=conversation_id, lock=True)
    client_ref = _clean_client_ref(client_ref)
    if client_ref is not None:
        existing = _same_send(sender=sender, conversation_id=conversation.pk, client_ref=client_ref)
        if existing is not None:
            return Sent(existing, False)
    media_ids = list(media_ids or ())
    text = _clean_body(body, required=not media_ids)
    _check_not_blocked(conversation, sender)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                sender=sender,
                body=text,
                client_ref=client_ref,
                content_type=ContentType.IMAGE if media_ids else ContentType.TEXT,
            )
            claim_for_message(owner=sender, message=message, media_ids=media_ids)
    except IntegrityError:
        if client_ref is None:
            raise
        # The same send, racing itself from a second connection: that one stored it.
        existing = _same_send(sender=sender, conversation_id=conversation.pk, client_ref=client_ref)
        if existing is None:
            raise
        return Sent(existing, False)
    _touch(conversation, at=message.created_at, last_message=message)
    # Sending reads everything before it.
    ConversationParticipant.objects.filter(conversation=conversation, user_id=sender.pk).update(
        last_read_message=message
    )
    events.message_new(message)
    _notify_away(conversation, message)
    return Sent(message, True)


def conversation_target(*, conversation_id: Id) -> Target:
    """What a chat notification is about: the conversation (its messages fold)."""
    return Target(NOTIFICATION_TARGET, conversation_id)


def _notify_away(conversation: Conversation, message: Message) -> None:
    """Tell the participants with no socket open (not in a conversation they muted)
    through `notifications`, with their preferences and push. Messages in a row
    fold into the recipient's one unread notification for the conversation
    (`chat_message` collapses by target); blocks are checked at delivery."""
    recipients = list(
        active_participants(conversation.pk)
        .filter(muted=False)
        .exclude(user_id=message.sender_id)
        .values_list("user_id", flat=True)
    )
    away = set(recipients) - online_users(recipients)
    if not away:
        return
    data = {
        "conversation_id": str(conversation.pk),
        "message_id": str(message.pk),
        "excerpt": message.body[:140] or "Sent an image",
    }
    if conversation.kind == Kind.GROUP:
        data["title"] = conversation.title
    for user_id in recipients:  # in participation order
        if user_id in away:
            notify(
                recipient_id=user_id,
                kind=NotificationKind.CHAT_MESSAGE,
                actor_id=message.sender_id,
                target=conversation_target(conversation_id=conversation.pk),
                data=data,
            )


def _withdraw_notifications(message: Message) -> None:
    """A message gone (deleted, hidden): the notifications that may quote it go too."""
    withdraw_notifications(targets=[conversation_target(conversation_id=message.conversation_id)])


def _own_live_message(*, actor: User, message_id: Id) -> Message:
    message = fetch_message_for(viewer=actor, message_id=message_id, lock=True)
    if message.sender_id != actor.pk:
        raise Forbidden(core_codes.PERMISSION_DENIED, "Only its sender can change a message.")
    return message


@transaction.atomic
def edit_message(*, editor: User, message_id: Id, body: str) -> Message:
    """The sender rewrites their message. An edit puts new words before the others,
    so what stops a send stops it: a suspension (403 `account_suspended`), in a
    direct conversation a block either way (403 `user_blocked`)."""
    _check_can_send(editor)
    message = _own_live_message(actor=editor, message_id=message_id)
    if not message.is_shown:
        raise Conflict(error_codes.MESSAGE_DELETED, "This message was deleted.")
    _check_not_blocked(message.conversation, editor)
    message.body = _clean_body(body, required=message.content_type == ContentType.TEXT)
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "edited_at"])
    events.message_updated(message)
    return message


@transaction.atomic
def delete_message(*, actor: User, message_id: Id) -> Message:
    """The sender deletes their message: it stays in the history as a placeholder,
    its body and images gone. Deleting it again changes nothing."""
    message = _own_live_message(actor=actor, message_id=message_id)
    if message.deleted_at is not None:
        return message
    message.deleted_at = timezone.now()
    message.body = ""
    message.save(update_fields=["deleted_at", "body"])
    drop_message_media(message_id=message.pk)
    _withdraw_notifications(message)
    events.message_deleted(message)
    return message


@dataclass(frozen=True)
class ReadState:
    last_read_message_id: uuid.UUID | None
    unread_count: int


def _is_after(message: Message, marker: Message | None) -> bool:
    if marker is None:
        return True
    return (message.created_at, str(message.pk)) > (marker.created_at, str(marker.pk))


@transaction.atomic
def mark_read(
    *, user: User, conversation_id: Id, up_to: Id | None = None, message_ids: Iterable | None = None
) -> ReadState:
    """Move the user's read marker to `up_to` (or the newest of `message_ids`).
    It only moves forward: an older message leaves it where it is."""
    participation = fetch_participation(viewer=user, conversation_id=conversation_id, lock=True)
    conversation_id = participation.conversation_id
    if up_to is None and message_ids:
        candidates = [
            fetch_message_in(participation=participation, message_id=m, field="message_ids")
            for m in message_ids
        ]
        target = max(candidates, key=lambda m: (m.created_at, str(m.pk)))
    else:
        target = fetch_message_in(participation=participation, message_id=up_to, field="up_to")
    marker = participation.last_read_message
    if _is_after(target, marker):
        participation.last_read_message = target
        participation.save(update_fields=["last_read_message"])
        events.message_read(conversation_id=conversation_id, user_id=user.pk, message=target)
    return ReadState(
        last_read_message_id=participation.last_read_message_id,
        unread_count=unread_count(participation),
    )


# --- moderation -------------------------------------------------------------------


def _clean_details(*, reason: str, details: str) -> str:
    if reason not in ReportReason.values:
        raise invalid("reason", f'"{reason}" is not a valid choice.', core_codes.INVALID_CHOICE)
    return clean_report_details(reason=reason, details=details)


def report_message(
    *, reporter: User, conversation_id: Id, message_id: Id, reason: str, details: str = ""
) -> MessageReport:
    """A participant reports someone else's message, once (409 after)."""
    participation = fetch_participation(viewer=reporter, conversation_id=conversation_id)
    message = fetch_message_for(viewer=reporter, message_id=message_id)
    if message.conversation_id != participation.conversation_id:
        raise NotFound(core_codes.NOT_FOUND, "No such message.")
    if message.sender_id == reporter.pk:
        raise InvalidInput(
            error_codes.CANNOT_REPORT_OWN_MESSAGE, "You cannot report your own message."
        )
    if not message.is_shown:
        raise Conflict(error_codes.MESSAGE_DELETED, "This message was deleted.")
    details = _clean_details(reason=reason, details=details)
    try:
        with transaction.atomic():
            return MessageReport.objects.create(
                reporter=reporter, message=message, reason=reason, details=details
            )
    except IntegrityError as exc:
        raise Conflict(error_codes.ALREADY_REPORTED, "You have already reported this.") from exc


@transaction.atomic
def hide_message(*, moderator: User, message_id: Id) -> Message:
    """A moderator hides a message: a placeholder to everyone from now on (kept for
    the admin); its open reports are resolved."""
    require_perms(moderator, MODERATE_MESSAGES, message="You may not moderate messages.")
    message = fetch_any_message(message_id=message_id)
    message = Message.objects.select_for_update().get(pk=message.pk)
    now = timezone.now()
    if message.hidden_at is None:
        message.hidden_at = now
        message.hidden_by = moderator
        message.save(update_fields=["hidden_at", "hidden_by"])
        _withdraw_notifications(message)
        events.message_deleted(message)
    MessageReport.objects.filter(message=message, status=ReportStatus.OPEN).update(
        status=ReportStatus.RESOLVED, handled_by=moderator, handled_at=now
    )
    return message


@transaction.atomic
def dismiss_report(*, moderator: User, report_id: Id) -> MessageReport:
    """A moderator leaves the message up: the report (if still open) is dismissed."""
    require_perms(moderator, HANDLE_MESSAGE_REPORTS, message="You may not handle reports.")
    report = MessageReport.objects.select_for_update().get(pk=report_id)
    if report.status == ReportStatus.OPEN:
        report.status = ReportStatus.DISMISSED
        report.handled_by = moderator
        report.handled_at = timezone.now()
        report.save(update_fields=["status", "handled_by", "handled_at"])
    return report
