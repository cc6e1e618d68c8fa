"""Permission classes shared by every domain.

Roles: members (any authenticated user), moderators (the `moderators` group,
see users.roles), shop staff (the `shop staff` group) and superusers. `is_staff`
alone only lets one log in to the admin: it grants no power.

Staff powers (suspend, hide, read reports, broadcast, read figures) are Django
model permissions, the same the admin checks (`user.has_perm("app.codename")`;
superusers have all). Each app declares one class per power with
`model_permission(...)`, so the API and the admin agree by construction.

Object permissions answer 403 for objects the caller may see but not change.
Objects the caller may not see at all must be filtered out by the selector so
the view answers 404 and never reveals that they exist.
"""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .error_codes import PERMISSION_DENIED
from .exceptions import Forbidden


def _is_moderator(user) -> bool:
    # `core` knows no domain: the role lives on the user model
    # (users.models.User.is_moderator).
    return bool(user and user.is_authenticated and getattr(user, "is_moderator", False))


class IsModerator(BasePermission):
    """Moderators and staff only."""

    message = "Only moderators may do this."

    def has_permission(self, request, view) -> bool:
        return _is_moderator(request.user)


def model_permission(*perms: str, message: str, name: str) -> type[BasePermission]:
    """A permission class that lets in authenticated users holding every one of
    `perms` (``"app.codename"``), as the admin would; superusers hold them all."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(self.perms))

    attrs = {"perms": perms, "message": message, "has_permission": has_permission}
    return type(name, (BasePermission,), attrs)


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


def require_perms(user, *perms: str, message: str) -> None:
    """For services: raise 403 unless `user` holds every one of `perms`, as the
    permission classes of `model_permission` do for views."""
    if not (user is not None and user.is_authenticated and user.has_perms(perms)):
        raise Forbidden(PERMISSION_DENIED, message)
