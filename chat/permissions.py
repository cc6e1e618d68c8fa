"""Chat's staff powers, as the admin grants them (core.permissions)."""

from core.permissions import model_permission

MODERATE_MESSAGES = "chat.change_message"
HANDLE_MESSAGE_REPORTS = "chat.change_messagereport"

CanModerateMessages = model_permission(
    MODERATE_MESSAGES, name="CanModerateMessages", message="You may not moderate messages."
)
