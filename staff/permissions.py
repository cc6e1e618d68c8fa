from rest_framework.permissions import BasePermission

from .dashboard import may_see_any


class CanReadFigures(BasePermission):
    """Staff who may see at least one of the dashboard's figures (staff.dashboard)."""

    message = "You may not read the dashboard."

    def has_permission(self, request, view) -> bool:
        return may_see_any(request.user)
