"""Messages and conversations as the API shows them: each declared once
(`core.read_model`).

The history, the conversation list and detail, the write responses and the
realtime events render these definitions from the rows `chat.selectors` reads
(`.values()` dicts, with a message's `media_items` and a conversation's
`participants` and `last_message` attached by the selector). `MessageSerializer`
and `ConversationSerializer` stay for the OpenAPI schema; a test fails if their
fields differ from these (`core.read_model.serializer_drift`).
"""

from __future__ import annotations

from functools import cached_property

from django.utils import timezone

from core.media import private_url_builder
from core.read_model import ReadModel, Renderer, column, field, per_viewer
from users.avatars import avatar_url_builder

from .models import ChatMedia


class ChatContext:
    """What every row of one request shares: URL builders for its origin (none:
    storage URLs as they are), the time zone, the message renderer."""

    def __init__(self, request=None) -> None:
        # Chat images (and group avatars) are the participants' alone: signed,
        # expiring URLs (core.media), never plain ones.
        self.media_url = private_url_builder(ChatMedia._meta.get_field("file").storage, request)
        self.avatar_url = avatar_url_builder(request)
        self.zone = timezone.get_current_timezone()

    @cached_property
    def messages(self) -> Renderer:
        return Renderer(MESSAGE, self)


def iso_8601(value, zone) -> str:
    """DRF's DateTimeField rendering (ISO 8601, `Z` for UTC), without the field."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _is_gone(row) -> bool:
    """Deleted by its sender or hidden by a moderator: a placeholder to everyone."""
    return row["deleted_at"] is not None or row["hidden_at"] is not None


# --- a message --------------------------------------------------------------------

SENDER_COLUMNS = ("sender_id", "sender__username", "sender__profile__avatar")


def _sender(row, ctx: ChatContext) -> dict:
    return {
        "id": str(row["sender_id"]),
        "username": row["sender__username"],
        "avatar_url": ctx.avatar_url(row["sender__profile__avatar"]),
    }


def _body(row, _ctx) -> str:
    return "" if _is_gone(row) else row["body"]


def _media(row, ctx: ChatContext) -> list[dict]:
    if _is_gone(row):
        return []
    url = ctx.media_url
    return [
        {
            "id": str(item["id"]),
            "url": url(item["file"]),
            "width": item["width"],
            "height": item["height"],
            "content_type": item["content_type"],
        }
        for item in row["media_items"]
    ]


def _created_at(row, ctx: ChatContext) -> str:
    return iso_8601(row["created_at"], ctx.zone)


MESSAGE = ReadModel(
    "message",
    [
        column("id", render=str),
        column("conversation_id", render=str),
        field("sender", columns=SENDER_COLUMNS, render=_sender),
        column("content_type"),
        field("body", columns=("body", "deleted_at", "hidden_at"), render=_body),
        field(
            "media",
            columns=("media_items", "content_type", "deleted_at", "hidden_at"),
            render=_media,
        ),
        column("client_ref"),
        field("created_at", columns=("created_at",), render=_created_at),
        column("is_edited", "edited_at", render=lambda value: value is not None),
        field(
            "is_deleted", columns=("deleted_at", "hidden_at"), render=lambda row, _: _is_gone(row)
        ),
    ],
    context=ChatContext,
)

# The columns a message row is read with; `media_items` is attached afterwards.
MESSAGE_COLUMNS = tuple(c for c in MESSAGE.columns if c != "media_items")


# --- a conversation -----------------------------------------------------------------


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)


def _participants(row, ctx: ChatContext) -> list[dict]:
    return [
        {
            "id": str(p["user_id"]),
            "username": p["user__username"],
            "avatar_url": ctx.avatar_url(p["user__profile__avatar"]),
            "role": p["role"],
            "online": p["online"],
            "last_read_message_id": _str_or_none(p["shown_read_message_id"]),
        }
        for p in row["participants"]
    ]


def _last_message(row, ctx: ChatContext) -> dict | None:
    message = row["last_message"]
    return None if message is None else ctx.messages.one(message)


def _avatar_url(row, ctx: ChatContext) -> str | None:
    name = row["avatar__file"]
    return ctx.media_url(name) if name else None


def _updated_at(row, ctx: ChatContext) -> str:
    return iso_8601(row["last_activity_at"], ctx.zone)


CONVERSATION = ReadModel(
    "conversation",
    [
        column("id", render=str),
        column("kind"),
        column("title"),
        field("avatar_url", columns=("avatar__file",), render=_avatar_url),
        field("participants", columns=("participants",), render=_participants),
        column("participant_count"),
        field("last_message", columns=("last_message",), render=_last_message),
        per_viewer(column("unread_count"), everyone=0),
        per_viewer(column("muted"), everyone=False),
        field("updated_at", columns=("last_activity_at",), render=_updated_at),
    ],
    context=ChatContext,
)
