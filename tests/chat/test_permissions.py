"""The permission matrix: every chat route for a participant (a group's owner), a
plain member, a participant blocked by the other side of a direct and the one who
blocked them, a removed member, one added back (the message named is from while
they were away), a stranger, a suspended user (a real token) and an anonymous
caller."""

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from chat import services
from tests.factories import chat_message, direct_conversation, group_conversation
from users import services as user_services

from .conftest import client_for, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/chat"
ROLES = [
    "participant",
    "member",
    "blocked",
    "blocker",
    "removed",
    "returned",
    "stranger",
    "suspended",
    "anonymous",
]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@dataclass
class World:
    client: APIClient
    conversation: object
    own_message: object
    others_message: object
    member: object  # someone else in the conversation
    newcomer: object  # someone to add


def _image():
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format="JPEG")
    return SimpleUploadedFile("x.jpg", buf.getvalue(), content_type="image/jpeg")


def build(role: str) -> World:
    alice, bob, carol, dave, eve = (make_user() for _ in range(5))
    group = group_conversation(alice, bob, carol, dave)
    alices = chat_message(group, alice, "alice's")
    bobs = chat_message(group, bob, "bob's")
    daves = chat_message(group, dave, "dave's")
    carols = chat_message(group, carol, "carol's")
    services.remove_participant(actor=alice, conversation_id=group.pk, user_id=dave.pk)
    newcomer = make_user()
    if role == "participant":
        return World(client_for(alice), group, alices, bobs, carol, newcomer)
    if role == "member":
        return World(client_for(carol), group, carols, bobs, bob, newcomer)
    if role in ("blocked", "blocker"):
        direct = direct_conversation(alice, bob)
        yo = chat_message(direct, alice, "yo")
        hey = chat_message(direct, bob, "hey")
        user_services.block_user(blocker=bob, blocked=alice)
        if role == "blocker":
            return World(client_for(bob), direct, hey, yo, alice, newcomer)
        return World(client_for(alice), direct, yo, hey, bob, newcomer)
    if role == "removed":
        return World(client_for(dave), group, daves, bobs, carol, newcomer)
    if role == "returned":
        while_away = chat_message(group, bob, "while dave was away")
        services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[dave.pk])
        return World(client_for(dave), group, daves, while_away, carol, newcomer)
    if role == "stranger":
        return World(client_for(eve), group, alices, bobs, carol, newcomer)
    client = APIClient()
    if role == "suspended":
        token = str(AccessToken.for_user(alice))
        user_services.suspend_user(user=alice, until=timezone.now() + timedelta(days=1))
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return World(client, group, alices, bobs, carol, newcomer)


def call(route: str, w: World):
    c, conv = w.client, w.conversation
    base = f"{API}/conversations/{conv.pk}"
    return {
        "list": lambda: c.get(f"{API}/conversations/"),
        "start": lambda: c.post(
            f"{API}/conversations/", {"kind": "direct", "participant_ids": [str(w.newcomer.pk)]}
        ),
        "detail": lambda: c.get(f"{base}/"),
        "mute": lambda: c.patch(f"{base}/", {"muted": True}),
        "rename": lambda: c.patch(f"{base}/", {"title": "New"}),
        "add": lambda: c.post(f"{base}/participants/", {"user_ids": [str(w.newcomer.pk)]}),
        "remove": lambda: c.delete(f"{base}/participants/{w.member.pk}/"),
        "leave": lambda: c.post(f"{base}/leave/"),
        "history": lambda: c.get(f"{base}/messages/"),
        "send": lambda: c.post(f"{base}/messages/", {"body": "hello", "client_ref": "m1"}),
        "read": lambda: c.post(f"{base}/read/", {"up_to": str(w.others_message.pk)}),
        "report": lambda: c.post(
            f"{base}/messages/{w.others_message.pk}/report/", {"reason": "spam"}
        ),
        "edit": lambda: c.patch(f"{API}/messages/{w.own_message.pk}/", {"body": "edited"}),
        "delete": lambda: c.delete(f"{API}/messages/{w.own_message.pk}/"),
        "hide": lambda: c.post(f"{API}/messages/{w.others_message.pk}/hide/"),
        "upload": lambda: c.post(f"{API}/upload/", {"file": _image()}, format="multipart"),
    }[route]()


# participant (owner), member, blocked and blocker (in a direct: not a group),
# removed, returned (the message named is from while away), stranger; then 401, 401.
EXPECTED = {
    "list": (200, 200, 200, 200, 200, 200, 200),
    "start": (201, 201, 201, 201, 201, 201, 201),
    "detail": (200, 200, 200, 200, 404, 200, 404),
    "mute": (200, 200, 200, 200, 404, 200, 404),
    "rename": (200, 403, 400, 400, 404, 403, 404),
    "add": (200, 403, 400, 400, 404, 403, 404),
    "remove": (204, 403, 400, 400, 404, 403, 404),
    "leave": (204, 204, 400, 400, 404, 204, 404),
    "history": (200, 200, 200, 200, 404, 200, 404),
    "send": (201, 201, 403, 403, 404, 201, 404),
    "read": (200, 200, 200, 200, 404, 400, 404),
    "report": (201, 201, 201, 201, 404, 404, 404),
    # Editing puts new words before the other side: a block stops it as it stops a send.
    "edit": (200, 200, 403, 403, 404, 200, 404),
    "delete": (204, 204, 204, 204, 404, 204, 404),
    "hide": (403, 403, 403, 403, 403, 403, 403),
    "upload": (201, 201, 201, 201, 201, 201, 201),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", list(EXPECTED))
def test_permission_matrix(route, role):
    world = build(role)
    response = call(route, world)
    expected = dict(zip(ROLES, (*EXPECTED[route], 401, 401), strict=True))[role]
    assert response.status_code == expected, (route, role, response.content[:300])
    if expected >= 400:
        assert response.json()["errors"][0]["code"]
    if role in ("blocked", "blocker") and route in ("send", "edit"):
        assert response.json()["errors"][0]["code"] == "user_blocked"
    if role == "suspended":
        assert response.json()["errors"][0]["code"] == "account_suspended"
    if route == "list" and role in ("removed", "stranger"):
        assert str(world.conversation.pk) not in {c["id"] for c in response.json()["conversations"]}
