"""Each staff group's powers through the API: the admin's group permissions, no
more. Every staff endpoint × every kind of caller, the exact status (issue 24,
item 3: any `is_staff` user could suspend, hide, read reports and broadcast)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from chat import services as chat_services
from forum import moderation
from forum import services as forum_services
from forum.models import Privacy
from tests.clients import bearer_client
from tests.factories import make_user
from users.roles import MODERATORS_GROUP, SHOP_STAFF_GROUP

pytestmark = pytest.mark.django_db

ROLES = ("moderator", "shop_staff", "plain_staff", "superuser", "member")


def make_role(role: str):
    """A user as docs/staff.md's groups make them: moderators and shop staff are
    `is_staff` (to log in to the admin) and in their group."""
    if role == "superuser":
        return make_user(f"root_{role}", is_staff=True, is_superuser=True)
    user = make_user(f"u_{role}", is_staff=role != "member")
    group = {"moderator": MODERATORS_GROUP, "shop_staff": SHOP_STAFF_GROUP}.get(role)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def future() -> str:
    return (timezone.now() + timedelta(days=3)).isoformat()


def targets() -> dict:
    """Fresh objects to act on: a member, their post, comment, a report and a
    chat message."""
    author, reporter = make_user("target_author"), make_user("target_reporter")
    post = forum_services.create_post(author=author, content="Buy cheap watches")
    comment = forum_services.create_comment(post=post, author=author, content="Click my link")
    report = moderation.report_post(reporter=reporter, post_id=post.pk, reason="spam")
    conversation, _ = chat_services.start_direct(user=author, other_id=reporter.pk)
    message = chat_services.send_message(
        sender=author, conversation_id=conversation.pk, body="spam", client_ref="r1"
    )
    message = message.message
    return {
        "user": author,
        "post": post,
        "comment": comment,
        "report": report,
        "message": message,
    }


# (name, method, path, body) -> the status each role gets, in ROLES order.
ENDPOINTS = {
    "suspend": (
        ("POST", "/api/v1/users/{user}/suspend/", lambda: {"until": future()}),
        (200, 403, 403, 200, 403),
    ),
    "unsuspend": (("POST", "/api/v1/users/{user}/unsuspend/", None), (200, 403, 403, 200, 403)),
    "hide_post": (("POST", "/api/v1/forum/posts/{post}/hide/", None), (200, 403, 403, 200, 403)),
    "restore_post": (
        ("POST", "/api/v1/forum/posts/{post}/restore/", None),
        (200, 403, 403, 200, 403),
    ),
    "hide_comment": (
        ("POST", "/api/v1/forum/comments/{comment}/hide/", None),
        (200, 403, 403, 200, 403),
    ),
    "restore_comment": (
        ("POST", "/api/v1/forum/comments/{comment}/restore/", None),
        (200, 403, 403, 200, 403),
    ),
    "list_reports": (("GET", "/api/v1/forum/reports/", None), (200, 403, 403, 200, 403)),
    "read_report": (("GET", "/api/v1/forum/reports/{report}/", None), (200, 403, 403, 200, 403)),
    "resolve_report": (
        ("POST", "/api/v1/forum/reports/{report}/resolve/", lambda: {"action": "dismiss"}),
        (200, 403, 403, 200, 403),
    ),
    "hide_message": (
        ("POST", "/api/v1/chat/messages/{message}/hide/", None),
        (200, 403, 403, 200, 403),
    ),
    "broadcast": (
        ("POST", "/api/v1/notifications/broadcasts/", lambda: {"title": "Hi", "body": "All"}),
        (403, 403, 403, 202, 403),
    ),
    "stats": (("GET", "/api/v1/admin/stats/?days=7", None), (200, 200, 403, 200, 403)),
}
CASES = [
    pytest.param(name, role, expected[i], id=f"{name}-{role}")
    for name, (_, expected) in ENDPOINTS.items()
    for i, role in enumerate(ROLES)
]


def call(client, name: str, objects: dict):
    (method, path, body), _ = ENDPOINTS[name]
    url = path.format(**{key: value.pk for key, value in objects.items()})
    data = body() if body else None
    return getattr(client, method.lower())(url, data, format="json")


@pytest.mark.parametrize(("name", "role", "expected"), CASES)
def test_each_group_has_exactly_its_admin_powers(name, role, expected):
    objects = targets()
    response = call(bearer_client(make_role(role)), name, objects)
    assert response.status_code == expected, response.content
    if expected == 403:
        [error] = response.json()["errors"]
        assert error["code"] == "permission_denied"


def test_the_api_powers_are_the_admin_permissions():
    """What the matrix expects is what each group holds in the admin."""
    moderator, shop = make_role("moderator"), make_role("shop_staff")
    plain, superuser = make_role("plain_staff"), make_role("superuser")
    powers = {
        "users.suspend_user": (True, False, False, True),
        "forum.change_forumpost": (True, False, False, True),
        "forum.change_forumcomment": (True, False, False, True),
        "forum.view_report": (True, False, False, True),
        "chat.change_message": (True, False, False, True),
        "notifications.add_broadcast": (False, False, False, True),
        "commerce.view_order": (False, True, False, True),
    }
    for perm, expected in powers.items():
        held = tuple(u.has_perm(perm) for u in (moderator, shop, plain, superuser))
        assert held == expected, perm


def keys(body: dict) -> set[str]:
    return {item["key"] for item in body["series"]} | {item["key"] for item in body["tables"]}


def test_the_stats_show_each_viewer_their_groups_figures(settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    shop_figures = {"orders", "revenue", "top_products"}
    forum_figures = {"posts", "comments", "top_posts", "open_reports", "chat_messages"}
    user_figures = {"sign_ups", "daily_active_users"}

    def stats(role):
        response = bearer_client(make_role(role)).get("/api/v1/admin/stats/?days=7")
        assert response.status_code == 200
        return keys(response.json())

    everything = stats("superuser")
    assert shop_figures | forum_figures | user_figures <= everything
    # Read from the same cached copy: the cache holds everything, each sees theirs.
    moderator = stats("moderator")
    assert moderator == everything - shop_figures
    shop = stats("shop_staff")
    assert shop == user_figures | shop_figures


def test_top_posts_are_public_posts_only(settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    author = make_user("popular")
    texts = {}
    for privacy in (Privacy.PUBLIC, Privacy.FOLLOWERS, Privacy.PRIVATE):
        post = forum_services.create_post(
            author=author, content=f"a {privacy} secret", privacy=privacy
        )
        forum_services.set_post_like(user=author, post_id=post.pk, liked=True)
        texts[privacy] = post.content
    for role in ("superuser", "moderator"):
        body = bearer_client(make_role(role)).get("/api/v1/admin/stats/?days=7").json()
        [table] = [t for t in body["tables"] if t["key"] == "top_posts"]
        assert [row["content"] for row in table["rows"]] == [texts[Privacy.PUBLIC]]


def test_the_admin_suspends_as_the_api_does():
    """A moderator's suspend action in the admin leaves fellow moderators alone
    (the API's rule, `users.services.check_can_suspend`)."""
    from django.test import Client

    from users.models import User

    moderator, fellow, member = make_role("moderator"), make_user("fellow"), make_user("plain")
    fellow.is_staff = True
    fellow.save(update_fields=["is_staff"])
    fellow.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    client = Client()
    client.force_login(moderator)
    response = client.post(
        "/admin/users/user/",
        {"action": "suspend_1_days", "_selected_action": [fellow.pk, member.pk]},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).is_suspended
    assert not User.objects.get(pk=fellow.pk).is_suspended


def test_the_socket_carries_no_staff_power():
    """Moderation and broadcasts are REST (and admin) only: no inbound socket
    message could go around the permission classes."""
    from realtime import registry

    powers = ("hide", "restore", "suspend", "resolve", "broadcast", "moderat", "report")
    assert registry._handlers, "the apps registered their socket handlers"
    assert [name for name in registry._handlers if any(p in name for p in powers)] == []


def test_the_admin_refuses_hiding_without_the_posts_permission():
    """Report permissions alone let one dismiss, not hide: the admin says so (no 500)
    and the post stays up, as the API would answer 403."""
    from django.contrib.auth.models import Permission
    from django.test import Client

    from forum.models import ForumPost, Report

    objects = targets()
    clerk = make_role("plain_staff")
    clerk.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="forum", codename__in=["view_report", "change_report"]
        )
    )
    client = Client()
    client.force_login(clerk)
    response = client.post(
        "/admin/forum/report/",
        {"action": "hide_content", "_selected_action": [objects["report"].pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "You may not moderate posts." in response.content.decode()
    assert ForumPost.objects.get(pk=objects["post"].pk).hidden_at is None
    assert Report.objects.get(pk=objects["report"].pk).status == "open"
