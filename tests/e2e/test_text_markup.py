"""Entity-encoded markup through the real server and a real client (issue 24,
item 8): a post, a profile bio and a chat message sent with
`&lt;script&gt;...` come back, and are stored, without markup."""

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from chat.models import Message
from forum.models import ForumPost
from tests.e2e.test_journey import call
from tests.factories import make_user
from users.models import Profile

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]

PAYLOAD = "hi &lt;script&gt;alert(2)&lt;/script&gt; &amp;lt;b&amp;gt;there &lt;3"


def assert_plain(text: str) -> None:
    assert "<script" not in text and "<b" not in text and "&lt;" not in text, text
    assert text.startswith("hi") and "there" in text and "alert" not in text, text


def test_entity_markup_is_stored_and_returned_as_plain_text(daphne_server):
    alice, bob = make_user("alice"), make_user("bob")
    token = str(AccessToken.for_user(alice))

    status, post = call(daphne_server, "POST", "/api/forum/posts/", {"content": PAYLOAD}, token)
    assert status == 201, post
    assert_plain(post["content"])
    assert_plain(ForumPost.objects.get(pk=post["id"]).content)

    status, me = call(daphne_server, "PATCH", "/api/v1/users/me/", {"bio": PAYLOAD}, token)
    assert status == 200, me
    assert_plain(me["bio"])
    assert_plain(Profile.objects.get(user=alice).bio)

    status, conversation = call(
        daphne_server,
        "POST",
        "/api/v1/chat/conversations/",
        {"kind": "direct", "participant_ids": [str(bob.pk)]},
        token,
    )
    assert status in (200, 201), conversation
    status, message = call(
        daphne_server,
        "POST",
        f"/api/v1/chat/conversations/{conversation['id']}/messages/",
        {"body": PAYLOAD, "client_ref": "e2e-markup"},
        token,
    )
    assert status == 201, message
    assert_plain(message["body"])
    assert_plain(Message.objects.get(pk=message["id"]).body)
