"""Permission classes shared by every domain.

Roles: members (any authenticated user), moderators (the `moderators` group,
see users.roles) and staff (`is_staff`, who are moderators too).

Object permissions answer 403 for objects the caller may see but not change.
Objects the caller may not see at all must be filtered out by the selector so
the view answers 404 and never reveals that they exist.
"""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission


def _is_moderator(user) -> bool:
    # `core` knows no domain: the role lives on the user model
    # (users.models.User.is_moderator).
    return bool(user and user.is_authenticated and getattr(user, "is_moderator", False))


class IsModerator(BasePermission):
    """Moderators and staff only."""

    message = "Only moderators may do this."

    def has_permission(self, request, view) -> bool:
        return _is_moderator(request.user)


class IsStaff(BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


OWNER_FIELDS = ("user", "author", "owner")


def owner_id(obj):
    """Primary key of the user who owns `obj`: the user itself, or its user/author/owner."""
    if obj._meta.label_lower == settings.AUTH_USER_MODEL.lower():
        return obj.pk
    for field in OWNER_FIELDS:
        if hasattr(obj, f"{field}_id"):
            return getattr(obj, f"{field}_id")
    return None


class IsOwnerOrReadOnly(BasePermission):
    """Anyone allowed by the view may read; only the owner may write."""

    message = "You may only change your own content."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return request.user.is_authenticated and owner_id(obj) == request.user.pk


class IsOwnerOrModerator(BasePermission):
    """The owner may read and write; moderators may too (e.g. to remove content)."""

    message = "You may only change your own content."

    def has_object_permission(self, request, view, obj) -> bool:
        if not request.user.is_authenticated:
            return False
        return owner_id(obj) == request.user.pk or _is_moderator(request.user)
