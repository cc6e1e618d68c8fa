"""Roles: members (everyone), moderators (a group with permissions), shop staff
(another group), superusers.

`is_staff` alone is no role: it lets one log in to the admin, where the groups'
permissions decide what one sees and does; the API checks the same permissions
(core.permissions.model_permission, each app's `permissions.py`). Being a
moderator here means seeing what moderators see (hidden posts and comments):
the `moderators` group or a superuser. The `moderators` group is created by a
data migration (users/migrations/0002_moderators_group.py) with the users
permissions moderators need; later domains grant it theirs in their own
migrations (e.g. forum: delete posts and comments, handle reports).
"""

from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, QuerySet

MODERATORS_GROUP = "moderators"
# Shop staff: a data migration (users/migrations/0004_shop_staff_group.py) creates
# the group with what they need of users (look customers up); the shop grants it
# its own permissions in its migrations.
SHOP_STAFF_GROUP = "shop staff"


def with_moderator_role(users: QuerySet) -> QuerySet:
    """Users with their moderator flag read in the same query (see `is_moderator`)."""
    in_group = Group.objects.filter(name=MODERATORS_GROUP, user=OuterRef("pk"))
    return users.annotate(in_moderators_group=Exists(in_group))


def is_moderator(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_moderator", None)
    if cached is None:
        cached = getattr(user, "in_moderators_group", None)
    if cached is None:
        cached = user.groups.filter(name=MODERATORS_GROUP).exists()
        user._is_moderator = cached
    return cached


def moderators_group() -> Group:
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    return group


def grant_moderator(user) -> None:
    user.groups.add(moderators_group())
    user._is_moderator = True


def revoke_moderator(user) -> None:
    user.groups.remove(moderators_group())
    user._is_moderator = False
