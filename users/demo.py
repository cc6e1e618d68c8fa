"""The users domain's demo data: accounts with known passwords, their roles and
follows. Idempotent: missing users are created, existing ones get their demo
password, flags and group back."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from . import services
from .models import User
from .roles import MODERATORS_GROUP

DEMO_PASSWORD = "demo-password-123"


@dataclass(frozen=True)
class DemoUser:
    email: str
    username: str
    display_name: str
    role: str  # "member", "moderator" or "admin"


DEMO_USERS = (
    DemoUser("alice@example.com", "alice", "Alice Example", "member"),
    DemoUser("bob@example.com", "bob", "Bob Example", "member"),
    DemoUser("carol@example.com", "carol", "Carol Example", "member"),
    DemoUser("mod@example.com", "mod", "Moderator", "moderator"),
    DemoUser("admin@example.com", "admin", "Admin", "admin"),
)

# (follower, followee) by username.
DEMO_FOLLOWS = (("alice", "bob"), ("bob", "alice"), ("carol", "alice"), ("carol", "bob"))


def _demo_user(demo: DemoUser, *, moderators: Group) -> User:
    user = User.objects.filter(email=demo.email).first()
    if user is None:
        user = services.create_user(
            email=demo.email,
            password=DEMO_PASSWORD,
            username=demo.username,
            display_name=demo.display_name,
        )
    elif not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])

    is_admin = demo.role == "admin"
    # Moderators are staff so they can open the admin; what they may do there and
    # over the API comes from the group's permissions.
    is_staff = demo.role in ("admin", "moderator")
    flags = (user.is_staff, user.is_superuser, user.is_active, user.suspended_until)
    if flags != (is_staff, is_admin, True, None):
        user.is_staff = is_staff
        user.is_superuser = is_admin
        user.is_active = True
        user.suspended_until = None
        user.save(update_fields=["is_staff", "is_superuser", "is_active", "suspended_until"])
    if demo.role == "moderator":
        user.groups.add(moderators)

    # Verified, so they can log in whatever ACCOUNT_EMAIL_VERIFICATION says.
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )
    return user


def seed_users() -> dict[str, User]:
    """The demo users by username, with their roles and follows."""
    moderators, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    users = {demo.username: _demo_user(demo, moderators=moderators) for demo in DEMO_USERS}
    for follower, followee in DEMO_FOLLOWS:
        services.follow(follower=users[follower], followee=users[followee])
    return users
