"""Chat reads. Only participants see a conversation, its messages and its members:
every path starts from `fetch_participation` / `fetch_conversation_for`, which
answer 404 to anyone else (a removed member or one who left included).

A member added back after leaving (or being removed) sees what was said before
they left and after they returned, never what was said while they were away
(their `ParticipationGap`s): in the history, as the list's `last_message`, in
`unread_count`, as a read marker or a report's target, and in the events of
those messages."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from core import error_codes as core_codes
from core.exceptions import NotFound, invalid
from core.pagination import keyset_filter, reversed_ordering
from realtime.presence import online_users

from .models import (
    ChatMedia,
    ContentType,
    Conversation,
    ConversationParticipant,
    Message,
    ParticipationGap,
    Role,
)
from .read_models import MESSAGE_COLUMNS

NO_SUCH_CONVERSATION = "No such conversation."
NO_SUCH_MESSAGE = "No such message."
# Far in the past: what "after the read marker" means when there is none.
_BEGINNING = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _signed_in(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


# --- gaps: what a member added back did not see ------------------------------------------


def _gaps_covering(created_at) -> QuerySet[ParticipationGap]:
    """Gaps a message created at `created_at` (a value or an `OuterRef`) falls in."""
    return ParticipationGap.objects.filter(started_at__lte=created_at, ended_at__gt=created_at)


def _in_gap_of(participant_id) -> Exists:
    """Whether the outer message was sent while `participant_id` was away."""
    return Exists(_gaps_covering(OuterRef("created_at")).filter(participant_id=participant_id))


def visible_messages(participation: ConversationParticipant) -> QuerySet[Message]:
    """The conversation's messages this member may see: all of them, but for a
    member added back, those sent while they were away. The history index still
    drives the scan; the gaps are an anti-join on their own index."""
    messages = Message.objects.filter(conversation_id=participation.conversation_id)
    if participation.has_gaps:
        messages = messages.exclude(_in_gap_of(participation.pk))
    return messages


def ids_seeing(message: Message) -> list:
    """User ids of the current participants who may see `message` (who is told of
    a change to it): not those who were away when it was sent. One query."""
    away = _gaps_covering(message.created_at).filter(participant_id=OuterRef("pk"))
    return list(
        active_participants(message.conversation_id)
        .exclude(Exists(away))
        .values_list("user_id", flat=True)
    )


def readers_of(message: Message) -> tuple[list, list[ConversationParticipant]]:
    """The conversation's current participants as told of a read marker on
    `message`: (user ids of those who may see it, the memberships of those who
    were away when it was sent). One query."""
    away = _gaps_covering(message.created_at).filter(participant_id=OuterRef("pk"))
    seeing, gone = [], []
    for participation in active_participants(message.conversation_id).annotate(away=Exists(away)):
        if participation.away:
            gone.append(participation)
        else:
            seeing.append(participation.user_id)
    return seeing, gone


def newest_visible_up_to(participation: ConversationParticipant, message: Message):
    """Id of the newest message `participation` may see that is not newer than
    `message` (which they may not), or None."""
    older = Q(created_at__lt=message.created_at) | Q(
        created_at=message.created_at, id__lt=message.pk
    )
    return (
        visible_messages(participation)
        .filter(Q(created_at__lte=message.created_at) & older)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )


# --- permission-checked fetchers ------------------------------------------------------


def active_participants(conversation_id) -> QuerySet[ConversationParticipant]:
    return ConversationParticipant.objects.filter(
        conversation_id=conversation_id, left_at__isnull=True
    )


def participant_ids(conversation_id) -> list:
    """User ids of the conversation's current participants (who is told of it)."""
    return list(active_participants(conversation_id).values_list("user_id", flat=True))


def co_participant_ids(user_id) -> set:
    """Ids of the users who currently share a conversation with `user_id` (not
    themselves): who hears of their presence. One query."""
    mine = ConversationParticipant.objects.filter(user_id=user_id, left_at__isnull=True)
    return set(
        ConversationParticipant.objects.filter(
            left_at__isnull=True, conversation_id__in=mine.values("conversation_id")
        )
        .exclude(user_id=user_id)
        .values_list("user_id", flat=True)
        .distinct()
    )


def fetch_participation(*, viewer, conversation_id, lock: bool = False) -> ConversationParticipant:
    """The viewer's current membership of the conversation, its conversation joined;
    `NotFound` for anyone else (also for a malformed id). `lock`: the membership row
    locked for update (read markers, mute)."""
    conversation_id = _as_uuid(conversation_id)
    if conversation_id is None or not _signed_in(viewer):
        raise NotFound(core_codes.NOT_FOUND, NO_SUCH_CONVERSATION)
    rows = active_participants(conversation_id).filter(user_id=viewer.pk)
    if lock:
        rows = rows.select_for_update(of=("self",))
    participation = rows.select_related("conversation").first()
    if participation is None:
        raise NotFound(core_codes.NOT_FOUND, NO_SUCH_CONVERSATION)
    return participation


def fetch_conversation_for(*, viewer, conversation_id, lock: bool = False) -> Conversation:
    """The conversation if `viewer` is one of its current participants, else
    `NotFound`. `lock`: the conversation row locked for update (membership
    changes and sends take it, so they happen one at a time per conversation)."""
    conversation_id = _as_uuid(conversation_id)
    if conversation_id is None or not _signed_in(viewer):
        raise NotFound(core_codes.NOT_FOUND, NO_SUCH_CONVERSATION)
    conversations = Conversation.objects.filter(
        pk=conversation_id,
        participants__user_id=viewer.pk,
        participants__left_at__isnull=True,
    )
    if lock:
        conversations = Conversation.objects.select_for_update().filter(
            pk__in=conversations.values("pk")
        )
    conversation = conversations.first()
    if conversation is None:
        raise NotFound(core_codes.NOT_FOUND, NO_SUCH_CONVERSATION)
    return conversation


def fetch_message_for(*, viewer, message_id, lock: bool = False) -> Message:
    """The message if `viewer` currently takes part in its conversation, else `NotFound`."""
    message_id = _as_uuid(message_id)
    if message_id is None or not _signed_in(viewer):
        raise NotFound(core_codes.NOT_FOUND, NO_SUCH_MESSAGE)
    away = _gaps_covering(OuterRef("created_at")).filter(
        participant__conversation_id=OuterRef("conversation_id"), participant__user_id=viewer.pk
    )
    messages = Message.objects.filter(
        pk=message_id,
        conversation__participants__user_id=viewer.pk,
        conversation__participants__left_at__isnull=True,
    ).exclude(Exists(away))
    if lock:
        messages = Message.objects.select_for_update().filter(pk__in=messages.values("pk"))
    message = messages.first()
    if message is None:
        raise NotFound(core_codes.NOT_FOUND, NO_SUCH_MESSAGE)
    return message


def fetch_message_in(*, participation: ConversationParticipant, message_id, field: str) -> Message:
    """A message of the member's conversation, one they may see, named by the client
    (`up_to`, `before`): 400 on `field` if there is none."""
    message = None
    parsed = _as_uuid(message_id)
    if parsed is not None:
        message = visible_messages(participation).filter(pk=parsed).first()
    if message is None:
        raise invalid(field, "No such message in this conversation.", core_codes.DOES_NOT_EXIST)
    return message


def fetch_any_message(*, message_id) -> Message:
    """Any message, for moderators (no participation needed), else `NotFound`."""
    try:
        return Message.objects.get(pk=message_id)
    except (Message.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise NotFound(core_codes.NOT_FOUND, NO_SUCH_MESSAGE) from exc


# --- messages as rows ---------------------------------------------------------------


def _with_media(rows: list[dict]) -> list[dict]:
    """Attach each message row's `media_items` (one query for all of them)."""
    by_message: dict = defaultdict(list)
    ids = [
        row["id"]
        for row in rows
        if row["content_type"] == ContentType.IMAGE
        and row["deleted_at"] is None
        and row["hidden_at"] is None
    ]
    if ids:
        media = ChatMedia.objects.filter(message_id__in=ids).order_by("position", "created_at")
        for item in media.values("id", "message_id", "file", "width", "height", "content_type"):
            by_message[item["message_id"]].append(item)
    for row in rows:
        row["media_items"] = by_message.get(row["id"], [])
    return rows


def message_rows(message_ids: Iterable) -> dict:
    """`{id: row}` of the messages, as `read_models.MESSAGE` renders them."""
    ids = [m for m in message_ids if m is not None]
    if not ids:
        return {}
    rows = list(Message.objects.filter(pk__in=ids).values(*MESSAGE_COLUMNS))
    return {row["id"]: row for row in _with_media(rows)}


def fetch_message(*, message_id) -> dict | None:
    """One message's row (the caller checked who may see it)."""
    return message_rows([message_id]).get(_as_uuid(message_id))


def fetch_messages(
    *,
    participation: ConversationParticipant,
    before: Message | None,
    after: Message | None,
    limit: int,
) -> list[dict]:
    """Up to `limit` message rows of the member's conversation they may see, newest
    first: older than `before`, or the ones just newer than `after` (still newest
    first)."""
    messages = visible_messages(participation)
    if after is not None:
        newer = Q(created_at__gt=after.created_at) | Q(created_at=after.created_at, id__gt=after.pk)
        rows = list(
            messages.filter(Q(created_at__gte=after.created_at) & newer)
            .order_by("created_at", "id")
            .values(*MESSAGE_COLUMNS)[:limit]
        )
        rows.reverse()
    else:
        if before is not None:
            older = Q(created_at__lt=before.created_at) | Q(
                created_at=before.created_at, id__lt=before.pk
            )
            messages = messages.filter(Q(created_at__lte=before.created_at) & older)
        rows = list(messages.order_by("-created_at", "-id").values(*MESSAGE_COLUMNS)[:limit])
    return _with_media(rows)


# --- read state ------------------------------------------------------------------------


def _unread_after(*, conversation, viewer_id, marker_at, marker_id, since) -> QuerySet[Message]:
    """Messages of others, shown, after the marker (by created_at, then id), and
    not before `since`: a member added back starts with everything before their
    return read, so what was said while they were away is never unread (whatever
    became of their marker)."""
    return Message.objects.filter(
        Q(created_at__gt=marker_at) | Q(created_at=marker_at, id__gt=marker_id),
        conversation_id=conversation,
        created_at__gte=since,
        deleted_at__isnull=True,
        hidden_at__isnull=True,
    ).exclude(sender_id=viewer_id)


def unread_count(participation: ConversationParticipant) -> int:
    marker = participation.last_read_message
    return _unread_after(
        conversation=participation.conversation_id,
        viewer_id=participation.user_id,
        marker_at=marker.created_at if marker else _BEGINNING,
        marker_id=marker.pk if marker else uuid.UUID(int=0),
        since=participation.joined_at if participation.has_gaps else _BEGINNING,
    ).count()


def _unread_subquery(viewer_id) -> Coalesce:
    unread = (
        _unread_after(
            conversation=OuterRef("conversation_id"),
            viewer_id=viewer_id,
            marker_at=Coalesce(OuterRef("last_read_message__created_at"), Value(_BEGINNING)),
            marker_id=Coalesce(OuterRef("last_read_message_id"), Value(uuid.UUID(int=0))),
            since=OuterRef("unread_since"),
        )
        .order_by()
        .values("conversation_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)


# --- conversations as rows -------------------------------------------------------------

CONVERSATION_ORDERING = ("-conversation__last_activity_at", "-conversation_id")
_CONVERSATION_VALUES = {
    "id": "conversation_id",
    "kind": "conversation__kind",
    "title": "conversation__title",
    "avatar__file": "conversation__avatar__file",
    "last_activity_at": "conversation__last_activity_at",
    "last_message_id": "visible_last_message_id",
}


def _visible_last_message() -> Case:
    """The newest message the outer membership may see: the conversation's
    `last_message` unless the member was ever away and it came before their
    return, then the newest one outside their gaps (a scan of the history index
    that stops at the first visible row)."""
    newest_visible = (
        Message.objects.filter(conversation_id=OuterRef("conversation_id"))
        .exclude(_in_gap_of(OuterRef(OuterRef("pk"))))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    return Case(
        When(
            Q(has_gaps=False) | Q(conversation__last_message__created_at__gte=F("joined_at")),
            then=F("conversation__last_message_id"),
        ),
        default=Subquery(newest_visible),
        output_field=UUIDField(),
    )


def my_conversations(*, viewer) -> QuerySet[ConversationParticipant]:
    """The viewer's current memberships, each with its conversation's columns,
    the viewer's `muted`, `unread_count` and last visible message: one query for
    a page."""
    return (
        ConversationParticipant.objects.filter(user_id=viewer.pk, left_at__isnull=True)
        .annotate(
            unread_since=Case(When(has_gaps=True, then=F("joined_at")), default=Value(_BEGINNING)),
            unread_count=_unread_subquery(viewer.pk),
            visible_last_message_id=_visible_last_message(),
        )
        .values(
            "conversation_id",
            "conversation__last_activity_at",
            "conversation__kind",
            "conversation__title",
            "conversation__avatar__file",
            "visible_last_message_id",
            "muted",
            "unread_count",
        )
    )


def _as_conversation_row(row: dict) -> dict:
    out = {name: row[source] for name, source in _CONVERSATION_VALUES.items()}
    out["muted"] = row["muted"]
    out["unread_count"] = row["unread_count"]
    # The keyset's columns, for the paginator's cursor.
    out["conversation__last_activity_at"] = row["conversation__last_activity_at"]
    out["conversation_id"] = row["conversation_id"]
    return out


def participants_max() -> int:
    """How many participants a list item and a `chat.conversation.updated` event
    carry (`CHAT_EVENT_PARTICIPANTS_MAX`, at least the two of a direct)."""
    return max(2, int(settings.CHAT_EVENT_PARTICIPANTS_MAX))


# A conversation's participants in the order they are shown: its owner, its
# admins, then its members, each by seniority.
PARTICIPANT_ORDERING = (
    Case(
        When(role=Role.OWNER, then=Value(0)),
        When(role=Role.ADMIN, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    ).asc(),
    F("joined_at").asc(),
    F("id").asc(),
)
_PARTICIPANT_VALUES = (
    "conversation_id",
    "user_id",
    "user__username",
    "user__profile__avatar",
    "role",
    "shown_read_message_id",
)


def _read_marker_shown_to(viewer_id) -> Case:
    """The outer member's read marker as `viewer_id` may learn it, by the rule of the
    `chat.message.read` events: the marker itself unless it was sent while the viewer
    was away, then the newest message the viewer may see before it, or None. Without
    a viewer (a row every participant is sent), the gaps of every current participant
    count. Part of the members' query: no query more."""
    gaps = ParticipationGap.objects.all()
    if viewer_id is None:
        gaps = gaps.filter(participant__left_at__isnull=True)
    else:
        gaps = gaps.filter(participant__user_id=viewer_id)
    marker_at = OuterRef("last_read_message__created_at")
    marker_hidden = gaps.filter(
        participant__conversation_id=OuterRef("conversation_id"),
        started_at__lte=marker_at,
        ended_at__gt=marker_at,
    )
    # Within a gap is all that came at its time: nothing at the marker's time is seen.
    seen_before = (
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"), created_at__lte=marker_at
        )
        .exclude(
            Exists(
                gaps.filter(
                    participant__conversation_id=OuterRef(OuterRef("conversation_id")),
                    started_at__lte=OuterRef("created_at"),
                    ended_at__gt=OuterRef("created_at"),
                )
            )
        )
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    return Case(
        When(Exists(marker_hidden), then=Subquery(seen_before)),
        default=F("last_read_message_id"),
        output_field=UUIDField(),
    )


def _participant_rows(
    conversation_ids: list, *, limit: int | None, viewer_id=None
) -> tuple[dict, dict]:
    """`({conversation_id: [member rows]}, {conversation_id: how many in all})` for
    the current participants of the conversations, in `PARTICIPANT_ORDERING`, each
    with its read marker as `viewer_id` may see it (`_read_marker_shown_to`); with
    `limit`, only the first `limit` of each (one query either way: a window
    counts and ranks them in the database, so a page of large groups reads
    `limit` rows per conversation)."""
    members = ConversationParticipant.objects.filter(
        conversation_id__in=conversation_ids, left_at__isnull=True
    ).annotate(shown_read_message_id=_read_marker_shown_to(viewer_id))
    by_conversation: dict = defaultdict(list)
    counts: dict = defaultdict(int)
    if limit is None:
        for member in members.order_by(*PARTICIPANT_ORDERING).values(*_PARTICIPANT_VALUES):
            by_conversation[member["conversation_id"]].append(member)
        for conversation_id, ms in by_conversation.items():
            counts[conversation_id] = len(ms)
        return by_conversation, counts
    ranked = (
        members.annotate(
            position=Window(
                RowNumber(), partition_by=[F("conversation_id")], order_by=PARTICIPANT_ORDERING
            ),
            total=Window(Count("id"), partition_by=[F("conversation_id")]),
        )
        .filter(position__lte=limit)
        .order_by("conversation_id", "position")
        .values(*_PARTICIPANT_VALUES, "total")
    )
    for member in ranked:
        by_conversation[member["conversation_id"]].append(member)
        counts[member["conversation_id"]] = member.pop("total")
    return by_conversation, counts


def _complete(
    rows: list[dict], *, viewer_id=None, participants_limit: int | None = None
) -> list[dict]:
    """Attach `participants` (with `online` and their read markers as `viewer_id`,
    or everyone, may see them; the first `participants_limit` of them, or all),
    `participant_count` and `last_message`: two queries and one presence lookup for
    the whole page."""
    if not rows:
        return rows
    ids = [row["id"] for row in rows]
    by_conversation, counts = _participant_rows(ids, limit=participants_limit, viewer_id=viewer_id)
    online = online_users({m["user_id"] for ms in by_conversation.values() for m in ms})
    for ms in by_conversation.values():
        for member in ms:
            member["online"] = member["user_id"] in online
    last = message_rows(row["last_message_id"] for row in rows)
    for row in rows:
        row["participants"] = by_conversation.get(row["id"], [])
        row["participant_count"] = counts.get(row["id"], 0)
        row["last_message"] = last.get(row["last_message_id"])
    return rows


def fetch_conversations(*, viewer, cursor, backward: bool, limit: int) -> list[dict]:
    """Up to `limit` conversation rows of the viewer after `cursor` (a
    `core.pagination.Cursor` on `CONVERSATION_ORDERING`, or None), by last
    activity, newest first (oldest first when `backward`), each with its first
    `participants_max()` participants and their `participant_count`."""
    rows = my_conversations(viewer=viewer)
    ordering = reversed_ordering(CONVERSATION_ORDERING) if backward else CONVERSATION_ORDERING
    rows = rows.order_by(*ordering)
    if cursor is not None:
        rows = rows.filter(
            keyset_filter(CONVERSATION_ORDERING, cursor.values, forward=not backward)
        )
    return _complete(
        [_as_conversation_row(row) for row in rows[:limit]],
        viewer_id=viewer.pk,
        participants_limit=participants_max(),
    )


def fetch_conversation(*, viewer, conversation_id) -> dict | None:
    """The viewer's row of one conversation they take part in, else None: with
    every participant (the list and the events carry the first
    `participants_max()`)."""
    conversation_id = _as_uuid(conversation_id)
    if conversation_id is None or not _signed_in(viewer):
        return None
    row = my_conversations(viewer=viewer).filter(conversation_id=conversation_id).first()
    return None if row is None else _complete([_as_conversation_row(row)], viewer_id=viewer.pk)[0]


def conversation_shared_row(*, conversation_id) -> dict | None:
    """A conversation's row without any viewer (events): per-viewer columns at rest,
    `last_message` the newest message every current participant may see, its first
    `participants_max()` participants and their `participant_count`."""
    away = _gaps_covering(OuterRef("created_at")).filter(
        participant__conversation_id=OuterRef(OuterRef("pk")),
        participant__left_at__isnull=True,
    )
    seen_by_all = (
        Message.objects.filter(conversation_id=OuterRef("pk"))
        .exclude(Exists(away))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    anyone_away = ConversationParticipant.objects.filter(
        conversation_id=OuterRef("pk"), left_at__isnull=True, has_gaps=True
    )
    row = (
        Conversation.objects.filter(pk=conversation_id)
        .annotate(
            shared_last_message_id=Case(
                When(Exists(anyone_away), then=Subquery(seen_by_all)),
                default=F("last_message_id"),
                output_field=UUIDField(),
            )
        )
        .values(
            *(name for name in _CONVERSATION_VALUES if name != "last_message_id"),
            "shared_last_message_id",
        )
        .first()
    )
    if row is None:
        return None
    row["last_message_id"] = row.pop("shared_last_message_id")
    return _complete(
        [{**row, "muted": False, "unread_count": 0}], participants_limit=participants_max()
    )[0]
