"""OpenAPI pieces of chat: error responses drf-standardized-errors does not derive,
and examples."""

from drf_spectacular.utils import OpenApiExample

from core import error_codes as core_codes
from core.schema import error_response, multipart_example
from users import error_codes as user_codes
from users.openapi import EXAMPLE_ORIGIN, JANE, SAM, user_summary_example

from . import error_codes

NotParticipantResponse = error_response(
    "ChatNotFound",
    [core_codes.NOT_FOUND],
    "404: no such conversation or message, or the caller does not (any more) take part in it.",
)
ManageForbiddenResponse = error_response(
    "ChatManageForbidden",
    [core_codes.PERMISSION_DENIED, error_codes.CANNOT_REMOVE_OWNER, user_codes.USER_BLOCKED],
    "403: only a group's owner and admins manage it (only the owner removes admins; "
    "nobody removes the owner); `user_blocked`: the caller blocked a user named.",
)
SendForbiddenResponse = error_response(
    "ChatSendForbidden",
    [user_codes.USER_BLOCKED, user_codes.ACCOUNT_SUSPENDED],
    "403: `user_blocked`: in a direct conversation, one of the two blocked the other; "
    "`account_suspended`: the sender is suspended.",
)
PermissionDeniedResponse = error_response(
    "ChatPermissionDenied",
    [core_codes.PERMISSION_DENIED],
    "403: only its sender edits or deletes a message; only moderators hide one.",
)
EditForbiddenResponse = error_response(
    "ChatEditForbidden",
    [core_codes.PERMISSION_DENIED, user_codes.USER_BLOCKED, user_codes.ACCOUNT_SUSPENDED],
    "403: only its sender edits a message; what stops a send stops an edit: "
    "`user_blocked` (in a direct conversation, one of the two blocked the other), "
    "`account_suspended`.",
)
MessageDeletedResponse = error_response(
    "ChatMessageDeleted",
    [error_codes.MESSAGE_DELETED],
    "409: the message was deleted (or hidden by a moderator).",
)
ReportConflictResponse = error_response(
    "ChatReportConflict",
    [error_codes.ALREADY_REPORTED, error_codes.MESSAGE_DELETED],
    "409: the caller reported this message before, or it was deleted.",
)


# --- examples ----------------------------------------------------------------

DIRECT_ID = "0b7c3f2e-6a1d-4e8b-9c5f-1d2e3f4a5b6c"
GROUP_ID = "c2a4e6f8-0b1d-4f3a-8c5e-7a9b1c3d5e7f"
MESSAGE_ID = "5f0e1d2c-3b4a-4968-8776-655443322110"
OLDER_MESSAGE_ID = "4e9d8c7b-6a59-4847-9635-241302f1e0d9"
MEDIA_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
REPORT_ID = "7d6c5b4a-3928-4716-a5b4-c3d2e1f0a9b8"
SENT_AT = "2026-01-15T09:30:00Z"


def media_example() -> dict:
    return {
        "id": MEDIA_ID,
        "url": f"{EXAMPLE_ORIGIN}/media/chat/2026/01/{MEDIA_ID}.jpg",
        "width": 1600,
        "height": 1200,
        "content_type": "image/jpeg",
    }


def message_example(**changes) -> dict:
    """MessageSerializer: Jane's message to Sam."""
    return {
        "id": MESSAGE_ID,
        "conversation_id": DIRECT_ID,
        "sender": user_summary_example(JANE),
        "content_type": "text",
        "body": "Climbing on Saturday?",
        "media": [],
        "client_ref": "a1b2c3",
        "created_at": SENT_AT,
        "is_edited": False,
        "is_deleted": False,
        **changes,
    }


def participant_example(
    person: dict, role: str = "member", online: bool = False, last_read: str | None = None
) -> dict:
    return {
        **user_summary_example(person),
        "role": role,
        "online": online,
        "last_read_message_id": last_read,
    }


def conversation_example(**changes) -> dict:
    """ConversationSerializer: Sam's direct conversation with Jane, as Sam sees it."""
    return {
        "id": DIRECT_ID,
        "kind": "direct",
        "title": "",
        "avatar_url": None,
        # Jane has read up to her message; Sam not yet (his unread_count is 1).
        "participants": [
            participant_example(JANE, online=True, last_read=MESSAGE_ID),
            participant_example(SAM),
        ],
        "participant_count": 2,
        "last_message": message_example(),
        "unread_count": 1,
        "muted": False,
        "updated_at": SENT_AT,
        **changes,
    }


def group_example(**changes) -> dict:
    return conversation_example(
        id=GROUP_ID,
        kind="group",
        title="Saturday crag",
        avatar_url=f"{EXAMPLE_ORIGIN}/media/chat/2026/01/{MEDIA_ID}.jpg",
        participants=[participant_example(JANE, "owner", True), participant_example(SAM)],
        last_message=None,
        unread_count=0,
        **changes,
    )


CONVERSATION_LIST_EXAMPLES = [
    OpenApiExample("Conversations", value=conversation_example(), response_only=True),
    OpenApiExample(
        "A large group",
        value=group_example(participant_count=240),
        response_only=True,
        description="A list item carries the first `CHAT_EVENT_PARTICIPANTS_MAX` participants "
        "(owner, admins, then by seniority; shortened here); `participant_count` has them all, "
        "and `GET conversations/{id}/` lists every one.",
    ),
]
CONVERSATION_EXAMPLES = [
    OpenApiExample("Conversation", value=conversation_example(), response_only=True)
]
CONVERSATION_CREATE_EXAMPLES = [
    OpenApiExample(
        "Direct", value={"kind": "direct", "participant_ids": [JANE["id"]]}, request_only=True
    ),
    OpenApiExample(
        "Group",
        value={"kind": "group", "title": "Saturday crag", "participant_ids": [SAM["id"]]},
        request_only=True,
    ),
    OpenApiExample(
        "Started",
        value=conversation_example(last_message=None, unread_count=0),
        response_only=True,
        status_codes=[201],
        description="201 when new; 200 with the same conversation when the two already have one.",
    ),
    OpenApiExample(
        "Existing",
        value=conversation_example(),
        response_only=True,
        status_codes=[200],
    ),
]
CONVERSATION_UPDATE_EXAMPLES = [
    OpenApiExample("Rename", value={"title": "Saturday crag"}, request_only=True),
    OpenApiExample("New avatar", value={"avatar": MEDIA_ID}, request_only=True),
    OpenApiExample("Mute", value={"muted": True}, request_only=True),
    OpenApiExample("Updated", value=group_example(), response_only=True),
]
ADD_PARTICIPANTS_EXAMPLES = [
    OpenApiExample("Add", value={"user_ids": [SAM["id"]]}, request_only=True),
    OpenApiExample("Added", value=group_example(), response_only=True),
]
MESSAGE_LIST_EXAMPLES = [
    OpenApiExample(
        "History",
        value={
            "messages": [
                message_example(),
                message_example(
                    id=OLDER_MESSAGE_ID,
                    sender=user_summary_example(SAM),
                    body="",
                    client_ref=None,
                    created_at="2026-01-15T09:12:00Z",
                    is_deleted=True,
                ),
            ],
            "next_page": f"{EXAMPLE_ORIGIN}/api/v1/chat/conversations/{DIRECT_ID}/messages/"
            f"?before={OLDER_MESSAGE_ID}",
            "previous_page": None,
            "next_cursor": OLDER_MESSAGE_ID,
            "previous_cursor": None,
        },
        response_only=True,
    )
]
MESSAGE_SEND_EXAMPLES = [
    OpenApiExample(
        "Text", value={"body": "Climbing on Saturday?", "client_ref": "a1b2c3"}, request_only=True
    ),
    OpenApiExample(
        "Image",
        value={"body": "The topo", "client_ref": "a1b2c4", "media_ids": [MEDIA_ID]},
        request_only=True,
    ),
    OpenApiExample("Sent", value=message_example(), response_only=True, status_codes=[201]),
    OpenApiExample(
        "Sent before (same client_ref)",
        value=message_example(),
        response_only=True,
        status_codes=[200],
    ),
]
MESSAGE_EDIT_EXAMPLES = [
    OpenApiExample("Edit", value={"body": "Climbing on Sunday?"}, request_only=True),
    OpenApiExample(
        "Edited",
        value=message_example(body="Climbing on Sunday?", is_edited=True),
        response_only=True,
    ),
]
HIDE_EXAMPLES = [
    OpenApiExample("Hidden", value=message_example(body="", is_deleted=True), response_only=True)
]
READ_EXAMPLES = [
    OpenApiExample("Read up to", value={"up_to": MESSAGE_ID}, request_only=True),
    OpenApiExample(
        "Read these (the newest is the marker)",
        value={"message_ids": [OLDER_MESSAGE_ID, MESSAGE_ID]},
        request_only=True,
    ),
    OpenApiExample(
        "Marker", value={"last_read_message_id": MESSAGE_ID, "unread_count": 0}, response_only=True
    ),
]
REPORT_EXAMPLES = [
    OpenApiExample(
        "Abuse", value={"reason": "abuse", "details": "Insults after I said no"}, request_only=True
    ),
    OpenApiExample(
        "Filed",
        value={
            "id": REPORT_ID,
            "message_id": MESSAGE_ID,
            "reason": "abuse",
            "details": "Insults after I said no",
            "status": "open",
            "created_at": "2026-01-15T10:05:00Z",
        },
        response_only=True,
        status_codes=[201],
    ),
]
UPLOAD_EXAMPLES = [
    multipart_example(
        "An image", {"file": "topo.jpg"}, "One `file` part: a JPEG, PNG or WebP image."
    ),
    OpenApiExample("Uploaded", value=media_example(), response_only=True, status_codes=[201]),
]
