"""OpenAPI examples of the notifications API."""

from drf_spectacular.utils import OpenApiExample

from core.schema import error_response
from users.openapi import JANE, user_summary_example

from . import error_codes

POST_ID = "3f1c2b4a-9d8e-4f7a-b6c5-d4e3f2a1b0c9"
DEVICE_TOKEN = "dKX1...:APA91bH..."


def notification_example(**changes) -> dict:
    """NotificationSerializer: four likes on one post, folded into one row."""
    return {
        "id": "0b7f7a52-61c4-4a7e-8f0e-3c2d1e5b9a41",
        "kind": "post_liked",
        "actor": user_summary_example(JANE),
        "actor_count": 4,
        "recent_actor_ids": [
            JANE["id"],
            "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6",
            "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
        ],
        "target": {"type": "forum.post", "id": POST_ID},
        "data": {"post_id": POST_ID},
        "title": "Jane Doe and 3 others liked your post",
        "body": "",
        "is_read": False,
        "read_at": None,
        "created_at": "2026-01-15T09:30:00Z",
        **changes,
    }


def preferences_example() -> dict:
    """PreferencesSerializer (the answer lists every kind; three shown)."""
    return {
        "kinds": {
            "post_liked": {"in_app": True, "push": False, "email": False},
            "comment_on_post": {"in_app": True, "push": True, "email": False},
            "order_shipped": {"in_app": True, "push": True, "email": True},
        },
        "email_digest": True,
    }


def device_example(**changes) -> dict:
    """DeviceSerializer."""
    return {
        "id": "c5b1e0d2-7a4f-4e1b-9c3d-2f6a8b0e4d17",
        "platform": "android",
        "token": DEVICE_TOKEN,
        "app_version": "2.4.1",
        "device_id": "a1b2c3d4e5f60718",
        "is_active": True,
        "created_at": "2026-01-15T09:30:00Z",
        "last_pushed_at": None,
        **changes,
    }


def broadcast_example(**changes) -> dict:
    """BroadcastSerializer, just queued."""
    return {
        "id": "e2c4a6b8-0d1f-4a3b-9c5d-7e9f1a3b5c7d",
        "title": "Maintenance tonight",
        "body": "We are down 02:00-02:30 UTC.",
        "status": "queued",
        "recipient_count": 0,
        "created_at": "2026-01-15T09:30:00Z",
        "finished_at": None,
        **changes,
    }


NOTIFICATION_EXAMPLES = [
    OpenApiExample("Likes folded into one", value=notification_example(), response_only=True)
]
_REGISTER_REQUEST = {
    "platform": "android",
    "token": DEVICE_TOKEN,
    "app_version": "2.4.1",
    # A random id the app made once for this install (kept private).
    "device_id": "a1b2c3d4e5f60718",
}
DEVICE_REGISTER_EXAMPLES = [
    OpenApiExample("Register an Android token", value=_REGISTER_REQUEST, request_only=True),
    OpenApiExample("Device", value=device_example(), response_only=True),
    OpenApiExample(
        "Another account on the same phone (the same install id: the token moves)",
        value=_REGISTER_REQUEST,
        request_only=True,
    ),
    OpenApiExample(
        "A token another account registered, without its install id",
        value={
            "type": "client_error",
            "errors": [
                {
                    "code": error_codes.DEVICE_TOKEN_TAKEN,
                    "detail": "This push token is registered to another account.",
                    "attr": None,
                }
            ],
        },
        response_only=True,
        status_codes=["409"],
    ),
]
DeviceTokenTakenResponse = error_response(
    "DeviceTokenTaken",
    [error_codes.DEVICE_TOKEN_TAKEN],
    "409: another account registered this token, and the request did not name the "
    "install id it was registered with.",
)
