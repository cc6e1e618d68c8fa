"""Roles: members (everyone), moderators (a group with permissions), staff."""

MODERATORS_GROUP = "moderators"


def is_moderator(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return user.groups.filter(name=MODERATORS_GROUP).exists()
