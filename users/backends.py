from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q

from .auth import user_can_authenticate


class EmailBackend(ModelBackend):
    """Email and password, case-insensitive on the email; suspended users refused."""

    def user_can_authenticate(self, user):
        return user_can_authenticate(user)

    def get_all_permissions(self, user_obj, obj=None):
        """The user's own and their groups' permissions in one query (ModelBackend
        takes two), kept on the user for the request like ModelBackend's: every
        staff endpoint checks one (core.permissions.model_permission)."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            perms = Permission.objects.all()
            if not user_obj.is_superuser:
                perms = perms.filter(Q(user=user_obj) | Q(group__user=user_obj))
            rows = perms.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._perm_cache
