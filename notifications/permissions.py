"""The notifications' staff powers, as the admin grants them (core.permissions)."""

from core.permissions import model_permission

SEND_BROADCASTS = "notifications.add_broadcast"

CanSendBroadcasts = model_permission(
    SEND_BROADCASTS, name="CanSendBroadcasts", message="You may not send broadcasts."
)
