"""Staff powers through the real server and a real client (issue 24, item 3): a
shop-staff token may not moderate or broadcast, a moderator may not broadcast or
read the shop's figures, and top posts show public posts only."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from chat import services as chat_services
from forum import moderation
from forum import services as forum_services
from forum.models import ForumPost, Privacy
from tests.e2e.test_journey import call as journey_call
from tests.factories import make_user
from users.roles import MODERATORS_GROUP, SHOP_STAFF_GROUP

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]


def call(base: str, method: str, path: str, token: str, body=None):
    return journey_call(base, method, path, body, token)


def staff_in(group: str | None, **fields):
    user = make_user(f"staff_{group or 'super'}".replace(" ", "_"), is_staff=True, **fields)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return str(AccessToken.for_user(user))


def test_each_group_keeps_to_its_powers_on_the_real_server(daphne_server):
    author, reporter = make_user("author"), make_user("reporter")
    post = forum_services.create_post(author=author, content="public words")
    secret = forum_services.create_post(
        author=author, content="private words", privacy=Privacy.PRIVATE
    )
    forum_services.set_post_like(user=reporter, post_id=post.pk, liked=True)
    # The private post is the most liked: it would top the table if it leaked.
    ForumPost.objects.filter(pk=secret.pk).update(like_count=50)
    moderation.report_post(reporter=reporter, post_id=post.pk, reason="spam")
    conversation, _ = chat_services.start_direct(user=author, other_id=reporter.pk)
    message, _ = chat_services.send_message(
        sender=author, conversation_id=conversation.pk, body="hi", client_ref="e2e"
    )
    shop = staff_in(SHOP_STAFF_GROUP)
    moderator = staff_in(MODERATORS_GROUP)
    superuser = staff_in(None, is_superuser=True)
    until = (timezone.now() + timedelta(days=1)).isoformat()
    broadcast = {"title": "Hello", "body": "Everyone"}
    powers = [
        ("POST", f"/api/v1/users/{author.pk}/suspend/", {"until": until}),
        ("POST", f"/api/v1/forum/posts/{post.pk}/hide/", None),
        ("POST", f"/api/v1/chat/messages/{message.pk}/hide/", None),
        ("GET", "/api/v1/forum/reports/", None),
        ("POST", "/api/v1/notifications/broadcasts/", broadcast),
    ]

    for method, path, body in powers:
        status, answer = call(daphne_server, method, path, shop, body)
        assert status == 403 and answer["errors"][0]["code"] == "permission_denied", path

    assert call(daphne_server, "POST", powers[-1][1], moderator, broadcast)[0] == 403
    status, stats = call(daphne_server, "GET", "/api/v1/admin/stats/?days=7", moderator)
    assert status == 200
    shown = {item["key"] for item in stats["series"] + stats["tables"]}
    assert "revenue" not in shown and "orders" not in shown and "top_posts" in shown
    [top] = [table for table in stats["tables"] if table["key"] == "top_posts"]
    assert [row["content"] for row in top["rows"]] == ["public words"]

    status, stats = call(daphne_server, "GET", "/api/v1/admin/stats/?days=7", shop)
    shown = {item["key"] for item in stats["series"] + stats["tables"]}
    assert status == 200 and "revenue" in shown and "top_posts" not in shown

    for method, path, body in powers[:4]:
        assert call(daphne_server, method, path, moderator, body)[0] == 200, path
    assert call(daphne_server, "POST", powers[-1][1], superuser, broadcast)[0] == 202
