"""Two daphne processes on different ports sharing Redis and Postgres: chat
crosses between them (messages, presence, typing)."""

import json

import pytest
from rest_framework_simplejwt.tokens import AccessToken
from websockets.sync.client import connect

from tests.factories import group_conversation

from .conftest import running_daphne
from .test_journey import call
from .ws_client import request

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres, pytest.mark.requires_redis]


@pytest.fixture
def two_servers(transactional_db, collected_static, tmp_path):
    with (
        running_daphne(collected_static, tmp_path, "one") as one,
        running_daphne(collected_static, tmp_path, "two") as two,
    ):
        yield one, two


def socket_on(base: str, user):
    ws_url = base.replace("http://", "ws://") + "/ws/"
    token = str(AccessToken.for_user(user))
    return connect(ws_url, subprotocols=["bearer", token], origin=base, open_timeout=5)


def next_of(ws, event_type: str, timeout: float = 5) -> dict:
    while True:
        frame = json.loads(ws.recv(timeout=timeout))
        if frame["type"] == event_type:
            return frame


def test_messages_presence_and_typing_cross_two_servers(two_servers, django_user_model):
    one, two = two_servers
    make = django_user_model.objects.create_user
    alice = make(email="alice@example.com", password="pw-123456789", username="alice")
    bob = make(email="bob@example.com", password="pw-123456789", username="bob")
    group = group_conversation(alice, bob)
    stream = f"conversation:{group.pk}"

    with socket_on(one, bob) as bob_one, socket_on(two, bob) as bob_two:
        assert request(bob_two, "subscribe", {"stream": stream}, "s")["type"] == "ack"
        with socket_on(one, alice) as alice_one:
            # Presence: alice's first socket, on server one, is told on both of bob's.
            for ws in (bob_one, bob_two):
                assert next_of(ws, "presence.user.join")["data"] == {"user_id": str(alice.pk)}

            # A message through either server reaches every socket.
            sent = request(
                alice_one, "chat.message.sent", {"conversation_id": str(group.pk), "body": "a"}, "m"
            )
            assert sent["type"] == "ack", sent
            token = str(AccessToken.for_user(alice))
            status, body = call(
                two,
                "POST",
                f"/api/v1/chat/conversations/{group.pk}/messages/",
                {"body": "b"},
                token,
            )
            assert status == 201, body
            for ws in (bob_one, bob_two, alice_one):
                bodies = [next_of(ws, "chat.message.new")["data"]["body"] for _ in range(2)]
                assert bodies == ["a", "b"]

            # Typing on server one reaches the open conversation on server two.
            typed = request(alice_one, "chat.typing", {"conversation_id": str(group.pk)}, "t")
            assert typed["data"] == {"sent": True}
            assert next_of(bob_two, "chat.typing")["data"]["user_id"] == str(alice.pk)
        # Alice's last socket closed on server one: both of bob's hear it.
        for ws in (bob_one, bob_two):
            assert next_of(ws, "presence.user.leave")["data"] == {"user_id": str(alice.pk)}
