"""The users' staff powers, as the admin grants them (core.permissions)."""

from core.permissions import model_permission

SUSPEND_USERS = "users.suspend_user"

CanModerateUsers = model_permission(
    SUSPEND_USERS, name="CanModerateUsers", message="You may not suspend users."
)
