"""OpenAPI pieces of the forum: error responses drf-standardized-errors does not
derive, and examples."""

from drf_spectacular.utils import OpenApiExample

from core.pagination import NO_PAGE_LINKS
from core.schema import error_response, multipart_example
from users.openapi import (
    EXAMPLE_ORIGIN,
    JANE,
    MODERATOR,
    SAM,
    public_user_example,
    user_summary_example,
)

from . import error_codes

AlreadyReportedResponse = error_response(
    "AlreadyReported",
    [error_codes.ALREADY_REPORTED],
    "409: the caller has reported this content before.",
)
AlreadyHandledResponse = error_response(
    "AlreadyHandled", [error_codes.ALREADY_HANDLED], "409: the report is no longer open."
)


# --- examples ----------------------------------------------------------------

POST_ID = "3f1c2b4a-9d8e-4f7a-b6c5-d4e3f2a1b0c9"
COMMENT_ID = "a4d2c6e8-1b3f-4d5a-9e7c-2f4b6d8a0c13"
REPLY_ID = "b7e9d1f3-5a2c-4e6b-8d0f-3a5c7e9b1d24"
MEDIA_ID = "6c0f655c-35ef-40ae-a5f5-977683ae923e"
SECOND_MEDIA_ID = "16e599b5-8f9a-4033-afc5-c95bab1ed6db"
REPORT_ID = "4d52037e-097c-4647-96b7-b53e0a0fadfd"
POSTED_AT = "2026-01-15T09:30:00Z"


def media_example(media_id: str = MEDIA_ID, *, with_thumbnails: bool = True) -> dict:
    """MediaSerializer; `thumbnails` fills in once the thumbnail task has run."""
    stem = f"{EXAMPLE_ORIGIN}/media/forum/2026/01/{media_id}"
    return {
        "id": media_id,
        "url": f"{stem}.jpg",
        "width": 1600,
        "height": 1200,
        "content_type": "image/jpeg",
        "thumbnails": (
            {"320": f"{stem}_320.jpg", "640": f"{stem}_640.jpg"} if with_thumbnails else {}
        ),
    }


def post_example(**changes) -> dict:
    """PostSerializer: Jane's public post with one image, as Sam sees it."""
    return {
        "id": POST_ID,
        "user": user_summary_example(JANE),
        "content": "First multi-pitch of the season #climbing",
        "media_url": media_example()["url"],
        "timestamp": POSTED_AT,
        "like_count": 12,
        "comment_count": 3,
        "is_liked": True,
        "privacy": "public",
        "tags": ["climbing"],
        "is_edited": False,
        "is_hidden": False,
        "media": [media_example()],
        **changes,
    }


def comment_example(**changes) -> dict:
    """CommentSerializer: Sam's top-level comment on Jane's post."""
    return {
        "id": COMMENT_ID,
        "user": user_summary_example(SAM),
        "content": "Which route was it?",
        "timestamp": "2026-01-15T09:42:10Z",
        "parent": None,
        "depth": 0,
        "is_edited": False,
        "is_deleted": False,
        "like_count": 2,
        "is_liked": False,
        "is_hidden": False,
        **changes,
    }


def report_example(**changes) -> dict:
    """ReportSerializer: Sam's report of Jane's post, as its reporter sees it."""
    return {
        "id": REPORT_ID,
        "target_type": "post",
        "post": POST_ID,
        "comment": None,
        "reason": "spam",
        "details": "Same link posted ten times",
        "status": "open",
        "created_at": "2026-01-15T10:05:00Z",
        **changes,
    }


def moderation_report_example(**changes) -> dict:
    """ModerationReportSerializer: the report above in the moderators' queue."""
    post = post_example()
    return {
        **report_example(),
        "reporter": user_summary_example(SAM),
        "target": {
            "id": POST_ID,
            "post_id": POST_ID,
            "author": post["user"],
            "content": post["content"],
            "timestamp": post["timestamp"],
            "is_hidden": False,
            "is_deleted": False,
        },
        "handled_by": None,
        "handled_at": None,
        **changes,
    }


def like_examples(*, liked_count: int, ids: dict) -> dict[str, list[OpenApiExample]]:
    """PostLikeState / CommentLikeState answers per method of a like endpoint."""
    liked = OpenApiExample(
        "Liked", value={**ids, "like_count": liked_count, "is_liked": True}, response_only=True
    )
    not_liked = OpenApiExample(
        "Not liked",
        value={**ids, "like_count": liked_count - 1, "is_liked": False},
        response_only=True,
    )
    return {"POST": [liked, not_liked], "PUT": [liked], "DELETE": [not_liked]}


def report_examples(target_type: str) -> list[OpenApiExample]:
    """Filing a report on a post or a comment: the request and the 201."""
    target = {"post": POST_ID, "comment": None}
    if target_type == "comment":
        target = {"post": None, "comment": COMMENT_ID}
    return [
        OpenApiExample(
            "Spam",
            value={"reason": "spam", "details": "Same link posted ten times"},
            request_only=True,
        ),
        OpenApiExample(
            "Filed",
            value=report_example(target_type=target_type, **target),
            response_only=True,
            status_codes=[201],
        ),
    ]


POST_LIKE_EXAMPLES = like_examples(liked_count=13, ids={"post_id": POST_ID})
COMMENT_LIKE_EXAMPLES = like_examples(
    liked_count=3, ids={"comment_id": COMMENT_ID, "post_id": POST_ID}
)
POST_EXAMPLES = [OpenApiExample("Post", value=post_example(), response_only=True)]
POST_CREATE_EXAMPLES = [
    OpenApiExample(
        "With an uploaded image",
        value={
            "content": "First multi-pitch of the season #climbing",
            "tags": ["climbing"],
            "privacy": "public",
            "media_url": media_example()["url"],
        },
        request_only=True,
    ),
    OpenApiExample(
        "With several uploads, followers only",
        value={
            "content": "Crag day",
            "privacy": "followers",
            "media": [MEDIA_ID, SECOND_MEDIA_ID],
        },
        request_only=True,
    ),
    OpenApiExample(
        "Created",
        value=post_example(like_count=0, comment_count=0, is_liked=False),
        response_only=True,
        status_codes=[201],
    ),
]
POST_REPLACE_EXAMPLES = [
    OpenApiExample(
        "Replace",
        value={
            "content": "First multi-pitch of the season #climbing #alps",
            "tags": ["climbing", "alps"],
            "privacy": "followers",
        },
        request_only=True,
    ),
    OpenApiExample(
        "Replaced",
        value=post_example(
            content="First multi-pitch of the season #climbing #alps",
            tags=["climbing", "alps"],
            privacy="followers",
            is_edited=True,
        ),
        response_only=True,
    ),
]
POST_EDIT_EXAMPLES = [
    OpenApiExample(
        "Fix a typo",
        value={"content": "First multi-pitch of the season! #climbing"},
        request_only=True,
    ),
    OpenApiExample(
        "Edited",
        value=post_example(content="First multi-pitch of the season! #climbing", is_edited=True),
        response_only=True,
    ),
]
MODERATED_POST_EXAMPLES = {
    "hide": [OpenApiExample("Hidden", value=post_example(is_hidden=True), response_only=True)],
    "restore": [OpenApiExample("Restored", value=post_example(), response_only=True)],
}
COMMENT_EXAMPLES = [OpenApiExample("Comment", value=comment_example(), response_only=True)]
COMMENT_CREATE_EXAMPLES = [
    OpenApiExample("Comment", value={"content": "Which route was it?"}, request_only=True),
    OpenApiExample(
        "Reply",
        value={"content": "The south ridge, 6 pitches.", "parent": COMMENT_ID},
        request_only=True,
    ),
    OpenApiExample(
        "Created",
        value=comment_example(like_count=0),
        response_only=True,
        status_codes=[201],
    ),
]
COMMENT_EDIT_EXAMPLES = [
    OpenApiExample(
        "Edit", value={"content": "Which route was it, the south ridge?"}, request_only=True
    ),
    OpenApiExample(
        "Edited",
        value=comment_example(content="Which route was it, the south ridge?", is_edited=True),
        response_only=True,
    ),
]
MODERATED_COMMENT_EXAMPLES = {
    "hide": [OpenApiExample("Hidden", value=comment_example(is_hidden=True), response_only=True)],
    "restore": [OpenApiExample("Restored", value=comment_example(), response_only=True)],
}
MEDIA_BATCH_EXAMPLES = [
    multipart_example(
        "One image",
        {"files": ["belay-ledge.jpg"]},
        "One `files` part per image, in the order they are to show.",
    ),
    OpenApiExample(
        "Stored",
        value=media_example(SECOND_MEDIA_ID, with_thumbnails=False),
        response_only=True,
        status_codes=[201],
        description="One item per file, in order; thumbnails follow once made.",
    ),
]
UPLOAD_EXAMPLES = [
    multipart_example(
        "An image", {"file": "multi-pitch.jpg"}, "One `file` part: a JPEG, PNG or WebP image."
    ),
    OpenApiExample(
        "Uploaded",
        value=media_example(),
        response_only=True,
        status_codes=[201],
        description="`thumbnails` may be empty until the thumbnail task has run.",
    ),
]
REPORT_QUEUE_EXAMPLES = [
    OpenApiExample("Open report", value=moderation_report_example(), response_only=True)
]
RESOLVE_REPORT_EXAMPLES = [
    OpenApiExample(
        "Hide and suspend for a week",
        value={
            "action": "hide",
            "suspend_until": "2026-01-22T10:30:00Z",
            "suspension_reason": "Spam",
        },
        request_only=True,
    ),
    OpenApiExample("Dismiss", value={"action": "dismiss"}, request_only=True),
    OpenApiExample(
        "Resolved",
        value=moderation_report_example(
            status="resolved",
            target={**moderation_report_example()["target"], "is_hidden": True},
            handled_by=user_summary_example(MODERATOR),
            handled_at="2026-01-15T10:30:00Z",
        ),
        response_only=True,
    ),
]
SEARCH_EXAMPLES = [
    OpenApiExample(
        "Both",
        value={
            "posts": [post_example()],
            "users": [public_user_example(JANE)],
            **NO_PAGE_LINKS,
        },
        response_only=True,
    ),
    OpenApiExample(
        "Only users (type=users)",
        value={"posts": [], "users": [public_user_example(JANE)], **NO_PAGE_LINKS},
        response_only=True,
    ),
]
