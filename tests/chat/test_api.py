"""Chat over REST: every route, its shapes, bad input per field, query counts."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chat import services
from chat.models import ChatMedia, Conversation, ConversationParticipant, Message, MessageReport
from chat.serializers import ParticipantSerializer
from tests.factories import ModeratorFactory, chat_message, group_conversation

from .conftest import client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/chat"
MESSAGE_KEYS = [
    "id",
    "conversation_id",
    "sender",
    "content_type",
    "body",
    "media",
    "client_ref",
    "created_at",
    "is_edited",
    "is_deleted",
]
CONVERSATION_KEYS = [
    "id",
    "kind",
    "title",
    "avatar_url",
    "participants",
    "participant_count",
    "last_message",
    "unread_count",
    "muted",
    "updated_at",
]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def image_upload(name="photo.jpg"):
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def error_of(response) -> tuple[int, str, str | None]:
    error = response.json()["errors"][0]
    return response.status_code, error["code"], error["attr"]


# --- conversations ----------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/api/chat", "/api/v1/chat"])
def test_start_direct_201_then_200_with_the_same_one(alice, bob, prefix):
    body = {"kind": "direct", "participant_ids": [str(bob.pk)]}
    first = client_for(alice).post(f"{prefix}/conversations/", body)
    assert first.status_code == 201, first.json()
    data = first.json()
    assert list(data) == CONVERSATION_KEYS
    assert data["kind"] == "direct" and data["last_message"] is None
    assert {p["id"] for p in data["participants"]} == {str(alice.pk), str(bob.pk)}
    assert set(data["participants"][0]) == set(ParticipantSerializer().fields)
    again = client_for(bob).post(
        f"{prefix}/conversations/", {"kind": "direct", "participant_ids": [str(alice.pk)]}
    )
    assert again.status_code == 200
    assert again.json()["id"] == data["id"]


def test_create_group_makes_the_caller_owner(alice, bob, carol):
    response = client_for(alice).post(
        f"{API}/conversations/",
        {"kind": "group", "title": "Crag", "participant_ids": [str(bob.pk), str(carol.pk)]},
    )
    assert response.status_code == 201
    roles = {p["username"]: p["role"] for p in response.json()["participants"]}
    assert roles == {"alice": "owner", "bob": "member", "carol": "member"}


@pytest.mark.parametrize(
    ("body", "status", "code", "attr"),
    [
        ({"kind": "chat", "participant_ids": []}, 400, "invalid_choice", "kind"),
        (
            {"kind": "direct", "participant_ids": []},
            400,
            "one_other_participant",
            "participant_ids",
        ),
        ({"kind": "direct", "participant_ids": ["nope"]}, 400, "invalid", "participant_ids.0"),
        ({"kind": "direct"}, 400, "required", "participant_ids"),
        (
            {"kind": "direct", "participant_ids": [str(uuid.uuid4())]},
            400,
            "does_not_exist",
            "participant_ids",
        ),
        ({"kind": "group", "title": "", "participant_ids": []}, 400, "blank", "title"),
        ({"kind": "group", "title": "x" * 101, "participant_ids": []}, 400, "max_length", "title"),
    ],
)
def test_create_conversation_bad_input(alice, body, status, code, attr):
    response = client_for(alice).post(f"{API}/conversations/", body)
    assert error_of(response) == (status, code, attr)


def test_direct_with_self_and_group_too_large(alice, bob, carol, settings):
    response = client_for(alice).post(
        f"{API}/conversations/", {"kind": "direct", "participant_ids": [str(alice.pk)]}
    )
    assert error_of(response) == (400, "cannot_chat_with_self", "participant_ids")
    settings.CHAT_MAX_GROUP_SIZE = 2
    response = client_for(alice).post(
        f"{API}/conversations/",
        {"kind": "group", "title": "Big", "participant_ids": [str(bob.pk), str(carol.pk)]},
    )
    assert error_of(response) == (400, "group_too_large", "participant_ids")


def test_list_by_last_activity_with_unread_counts(alice, bob, carol, direct, group, send):
    send(group, bob, "in the group")
    send(direct, bob, "one")
    send(direct, bob, "two")
    response = client_for(alice).get(f"{API}/conversations/")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {
        "conversations",
        "next_page",
        "previous_page",
        "next_cursor",
        "previous_cursor",
    }
    listed = data["conversations"]
    assert [c["id"] for c in listed] == [str(direct.pk), str(group.pk)]
    assert [c["unread_count"] for c in listed] == [2, 1]
    assert listed[0]["last_message"]["body"] == "two"
    assert list(listed[0]["last_message"]) == MESSAGE_KEYS
    # Bob wrote them all: nothing unread for him.
    mine = client_for(bob).get(f"{API}/conversations/").json()["conversations"]
    assert [c["unread_count"] for c in mine] == [0, 0]


def test_list_pages_both_ways(alice, user_factory):
    for _ in range(5):
        services.start_direct(user=alice, other_id=user_factory().pk)
    client = client_for(alice)
    first = client.get(f"{API}/conversations/?page_size=2").json()
    second = client.get(first["next_page"]).json()
    third = client.get(second["next_page"]).json()
    ids = [c["id"] for page in (first, second, third) for c in page["conversations"]]
    assert len(ids) == len(set(ids)) == 5 and third["next_page"] is None
    back = client.get(second["previous_page"]).json()
    assert [c["id"] for c in back["conversations"]] == [c["id"] for c in first["conversations"]]


def test_list_costs_the_same_queries_whatever_it_holds(
    alice, user_factory, django_assert_max_num_queries
):
    def listing():
        with django_assert_max_num_queries(4):
            response = client_for(alice).get(f"{API}/conversations/")
        assert response.status_code == 200
        return response.json()["conversations"]

    assert listing() == []
    for n in range(12):
        members = [user_factory() for _ in range(3)]
        group = group_conversation(alice, *members, title=f"g{n}")
        chat_message(group, members[0], "hi")
    assert len(listing()) == 12


def test_detail_and_patch(alice, bob, group):
    client = client_for(alice)
    assert client.get(f"{API}/conversations/{group.pk}/").json()["title"] == "Climbing crew"
    response = client.patch(f"{API}/conversations/{group.pk}/", {"title": "Crag", "muted": True})
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["muted"]) == ("Crag", True)
    # Mute is per user: Bob's view is not muted; a member cannot rename.
    bobs = client_for(bob)
    assert bobs.get(f"{API}/conversations/{group.pk}/").json()["muted"] is False
    assert bobs.patch(f"{API}/conversations/{group.pk}/", {"muted": True}).status_code == 200
    assert error_of(bobs.patch(f"{API}/conversations/{group.pk}/", {"title": "x"}))[:2] == (
        403,
        "permission_denied",
    )


def test_group_avatar_is_an_own_upload(alice, bob, group):
    client = client_for(alice)
    upload = client.post(f"{API}/upload/", {"file": image_upload()}, format="multipart")
    assert upload.status_code == 201, upload.json()
    media_id = upload.json()["id"]
    assert set(upload.json()) == {"id", "url", "width", "height", "content_type"}
    response = client.patch(f"{API}/conversations/{group.pk}/", {"avatar": media_id})
    assert response.status_code == 200
    assert response.json()["avatar_url"].split("?")[0].endswith(f"{media_id}.jpg")
    # Someone else's upload is refused.
    other = client_for(bob).post(f"{API}/upload/", {"file": image_upload()}, format="multipart")
    response = client.patch(f"{API}/conversations/{group.pk}/", {"avatar": other.json()["id"]})
    assert error_of(response) == (400, "invalid_media", "avatar")
    response = client.patch(f"{API}/conversations/{group.pk}/", {"avatar": None})
    assert response.json()["avatar_url"] is None


def test_rename_a_direct_is_400(alice, direct):
    response = client_for(alice).patch(f"{API}/conversations/{direct.pk}/", {"title": "x"})
    assert error_of(response) == (400, "not_a_group", None)


# --- participants ----------------------------------------------------------------


def test_add_remove_and_leave(alice, bob, carol, group, user_factory):
    dave = user_factory()
    client = client_for(alice)
    response = client.post(
        f"{API}/conversations/{group.pk}/participants/", {"user_ids": [str(dave.pk)]}
    )
    assert response.status_code == 200
    assert str(dave.pk) in {p["id"] for p in response.json()["participants"]}
    again = client.post(
        f"{API}/conversations/{group.pk}/participants/", {"user_ids": [str(dave.pk)]}
    )
    assert error_of(again) == (400, "already_participant", "user_ids")
    removed = client.delete(f"{API}/conversations/{group.pk}/participants/{dave.pk}/")
    assert removed.status_code == 204
    assert client_for(dave).get(f"{API}/conversations/{group.pk}/").status_code == 404
    # Alice (owner) leaves: the oldest remaining member takes over.
    assert client.post(f"{API}/conversations/{group.pk}/leave/").status_code == 204
    roles = {
        p["username"]: p["role"]
        for p in client_for(bob).get(f"{API}/conversations/{group.pk}/").json()["participants"]
    }
    assert sorted(roles.values()) == ["member", "owner"] and "alice" not in roles


def test_participant_bad_input(alice, bob, group, direct, settings, user_factory):
    client = client_for(alice)
    url = f"{API}/conversations/{group.pk}/participants/"
    assert error_of(client.post(url, {"user_ids": []}))[1:] == ("required", "user_ids")
    assert error_of(client.post(url, {"user_ids": ["x"]}))[:2] == (400, "invalid")
    assert error_of(client.post(url, {"user_ids": [str(uuid.uuid4())]}))[1:] == (
        "does_not_exist",
        "user_ids",
    )
    settings.CHAT_MAX_GROUP_SIZE = 3
    assert error_of(client.post(url, {"user_ids": [str(user_factory().pk)]}))[1:] == (
        "group_too_large",
        "user_ids",
    )
    response = client.post(
        f"{API}/conversations/{direct.pk}/participants/", {"user_ids": [str(user_factory().pk)]}
    )
    assert error_of(response) == (400, "not_a_group", None)
    assert error_of(client.post(f"{API}/conversations/{direct.pk}/leave/"))[:2] == (
        400,
        "not_a_group",
    )
    assert client.delete(f"{url}{uuid.uuid4()}/").status_code == 404
    response = client_for(bob).delete(f"{url}{alice.pk}/")
    assert error_of(response)[:2] == (403, "permission_denied")


def test_nobody_removes_the_owner(alice, bob, group):
    ConversationParticipant.objects.filter(conversation=group, user=bob).update(role="admin")
    response = client_for(bob).delete(f"{API}/conversations/{group.pk}/participants/{alice.pk}/")
    assert error_of(response) == (403, "cannot_remove_owner", None)


# --- messages --------------------------------------------------------------------


def test_send_then_same_client_ref_is_200_and_stored_once(alice, direct):
    client = client_for(alice)
    url = f"{API}/conversations/{direct.pk}/messages/"
    first = client.post(url, {"body": "Hi", "client_ref": "ref-1"})
    assert first.status_code == 201
    data = first.json()
    assert list(data) == MESSAGE_KEYS
    assert (data["body"], data["client_ref"], data["content_type"]) == ("Hi", "ref-1", "text")
    assert data["sender"]["username"] == "alice"
    again = client.post(url, {"body": "Hi", "client_ref": "ref-1"})
    assert again.status_code == 200 and again.json() == data
    assert Message.objects.count() == 1


def test_send_an_image(alice, bob, direct):
    client = client_for(alice)
    media_id = client.post(f"{API}/upload/", {"file": image_upload()}, format="multipart").json()[
        "id"
    ]
    response = client.post(f"{API}/conversations/{direct.pk}/messages/", {"media_ids": [media_id]})
    assert response.status_code == 201
    data = response.json()
    assert data["content_type"] == "image" and [m["id"] for m in data["media"]] == [media_id]
    # Used once: not again.
    response = client.post(f"{API}/conversations/{direct.pk}/messages/", {"media_ids": [media_id]})
    assert error_of(response) == (400, "invalid_media", "media_ids")
    bobs = client_for(bob).post(f"{API}/upload/", {"file": image_upload()}, format="multipart")
    response = client.post(
        f"{API}/conversations/{direct.pk}/messages/",
        {"body": "x", "media_ids": [bobs.json()["id"]]},
    )
    assert error_of(response) == (400, "invalid_media", "media_ids")


@pytest.mark.parametrize(
    ("body", "code", "attr"),
    [
        ({"body": ""}, "blank", "body"),
        ({}, "blank", "body"),
        ({"body": "   "}, "blank", "body"),
        ({"body": "x" * 41}, "max_length", "body"),
        ({"body": "x", "client_ref": "r" * 65}, "max_length", "client_ref"),
        ({"body": "x", "media_ids": ["nope"]}, "invalid", "media_ids.0"),
        ({"body": "x", "media_ids": [str(uuid.uuid4())]}, "invalid_media", "media_ids"),
        ({"body": ["x"]}, "invalid", "body"),
    ],
)
def test_send_bad_input(alice, direct, settings, body, code, attr):
    settings.CHAT_MAX_MESSAGE_LENGTH = 40
    response = client_for(alice).post(f"{API}/conversations/{direct.pk}/messages/", body)
    assert error_of(response) == (400, code, attr)


def test_client_ref_of_another_conversation_is_400(alice, direct, group):
    client = client_for(alice)
    client.post(f"{API}/conversations/{direct.pk}/messages/", {"body": "a", "client_ref": "r1"})
    response = client.post(
        f"{API}/conversations/{group.pk}/messages/", {"body": "a", "client_ref": "r1"}
    )
    assert error_of(response) == (400, "client_ref_reused", "client_ref")


def test_history_newest_first_paged_by_message_id(alice, bob, direct, send):
    sent = [send(direct, alice if n % 2 else bob, f"m{n}") for n in range(7)]
    client = client_for(alice)
    url = f"{API}/conversations/{direct.pk}/messages/"
    first = client.get(f"{url}?page_size=3").json()
    assert set(first) == {
        "messages",
        "next_page",
        "previous_page",
        "next_cursor",
        "previous_cursor",
    }
    assert [m["body"] for m in first["messages"]] == ["m6", "m5", "m4"]
    assert first["previous_page"] is None
    second = client.get(first["next_page"]).json()
    assert [m["body"] for m in second["messages"]] == ["m3", "m2", "m1"]
    third = client.get(second["next_page"]).json()
    assert [m["body"] for m in third["messages"]] == ["m0"] and third["next_page"] is None
    back = client.get(second["previous_page"]).json()
    assert [m["body"] for m in back["messages"]] == ["m6", "m5", "m4"]
    assert back["previous_page"] is None
    newer = client.get(f"{url}?after={sent[1].pk}&page_size=2").json()
    assert [m["body"] for m in newer["messages"]] == ["m3", "m2"]
    assert newer["previous_page"] is not None and newer["next_page"] is not None


def test_history_bad_bounds(alice, direct, group, send):
    other = send(group, alice, "elsewhere")
    client = client_for(alice)
    url = f"{API}/conversations/{direct.pk}/messages/"
    assert error_of(client.get(f"{url}?before={other.pk}")) == (400, "does_not_exist", "before")
    assert error_of(client.get(f"{url}?after={uuid.uuid4()}")) == (400, "does_not_exist", "after")
    assert error_of(client.get(f"{url}?before=nope"))[:2] == (400, "invalid")


def test_history_costs_the_same_queries_whatever_it_holds(
    alice, bob, direct, send, django_assert_max_num_queries
):
    client = client_for(alice)
    url = f"{API}/conversations/{direct.pk}/messages/"
    first = send(direct, bob, "first")
    for n in range(30):
        send(direct, alice if n % 2 else bob, f"m{n}")
    with django_assert_max_num_queries(4):
        assert len(client.get(f"{url}?page_size=25").json()["messages"]) == 25
    with django_assert_max_num_queries(5):
        assert client.get(f"{url}?after={first.pk}").status_code == 200


def test_edit_and_delete_own_messages(alice, bob, direct, send):
    message = send(direct, alice, "tpyo")
    client = client_for(alice)
    edited = client.patch(f"{API}/messages/{message.pk}/", {"body": "typo"})
    assert edited.status_code == 200
    assert (edited.json()["body"], edited.json()["is_edited"]) == ("typo", True)
    assert error_of(client_for(bob).patch(f"{API}/messages/{message.pk}/", {"body": "x"}))[:2] == (
        403,
        "permission_denied",
    )
    assert error_of(client.patch(f"{API}/messages/{message.pk}/", {"body": ""})) == (
        400,
        "blank",
        "body",
    )
    assert client_for(bob).delete(f"{API}/messages/{message.pk}/").status_code == 403
    assert client.delete(f"{API}/messages/{message.pk}/").status_code == 204
    history = client_for(bob).get(f"{API}/conversations/{direct.pk}/messages/").json()
    placeholder = history["messages"][0]
    assert (placeholder["id"], placeholder["body"], placeholder["is_deleted"]) == (
        str(message.pk),
        "",
        True,
    )
    assert error_of(client.patch(f"{API}/messages/{message.pk}/", {"body": "back"}))[:2] == (
        409,
        "message_deleted",
    )


def test_deleting_an_image_message_drops_its_files(alice, direct):
    client = client_for(alice)
    media_id = client.post(f"{API}/upload/", {"file": image_upload()}, format="multipart").json()[
        "id"
    ]
    sent = client.post(f"{API}/conversations/{direct.pk}/messages/", {"media_ids": [media_id]})
    assert client.delete(f"{API}/messages/{sent.json()['id']}/").status_code == 204
    assert not ChatMedia.objects.filter(pk=media_id).exists()


# --- read markers ------------------------------------------------------------------


def test_read_marker_only_moves_forward(alice, bob, direct, send):
    first, second, third = (send(direct, bob, body) for body in ("1", "2", "3"))
    client = client_for(alice)
    url = f"{API}/conversations/{direct.pk}/read/"
    assert client.post(url, {"up_to": str(second.pk)}).json() == {
        "last_read_message_id": str(second.pk),
        "unread_count": 1,
    }
    assert client.post(url, {"up_to": str(first.pk)}).json() == {
        "last_read_message_id": str(second.pk),
        "unread_count": 1,
    }
    assert client.post(url, {"message_ids": [str(first.pk), str(third.pk)]}).json() == {
        "last_read_message_id": str(third.pk),
        "unread_count": 0,
    }
    listed = client.get(f"{API}/conversations/").json()["conversations"][0]
    assert listed["unread_count"] == 0


def test_read_bad_input(alice, direct, group, send):
    elsewhere = send(group, alice, "x")
    client = client_for(alice)
    url = f"{API}/conversations/{direct.pk}/read/"
    assert error_of(client.post(url, {})) == (400, "required", "up_to")
    assert error_of(client.post(url, {"up_to": "nope"}))[:3] == (400, "invalid", "up_to")
    assert error_of(client.post(url, {"up_to": str(elsewhere.pk)})) == (
        400,
        "does_not_exist",
        "up_to",
    )


# --- reports and moderation ---------------------------------------------------------


def test_report_then_moderator_hides(alice, bob, direct, send):
    message = send(direct, bob, "rude")
    url = f"{API}/conversations/{direct.pk}/messages/{message.pk}/report/"
    client = client_for(alice)
    response = client.post(url, {"reason": "abuse", "details": "Rude"})
    assert response.status_code == 201
    assert response.json()["status"] == "open" and response.json()["message_id"] == str(message.pk)
    assert error_of(client.post(url, {"reason": "abuse"}))[:2] == (409, "already_reported")
    own = f"{API}/conversations/{direct.pk}/messages/{message.pk}/report/"
    assert error_of(client_for(bob).post(own, {"reason": "spam"})) == (
        400,
        "cannot_report_own_message",
        None,
    )
    assert (
        error_of(client.post(url.replace(str(message.pk), str(uuid.uuid4())), {"reason": "spam"}))[
            0
        ]
        == 404
    )
    assert error_of(client_for(bob).post(f"{API}/messages/{message.pk}/hide/"))[:2] == (
        403,
        "permission_denied",
    )
    moderator = ModeratorFactory()
    hidden = client_for(moderator).post(f"{API}/messages/{message.pk}/hide/")
    assert hidden.status_code == 200
    assert (hidden.json()["body"], hidden.json()["is_deleted"]) == ("", True)
    assert MessageReport.objects.get().status == "resolved"
    shown = client.get(f"{API}/conversations/{direct.pk}/messages/").json()["messages"][0]
    assert shown["body"] == "" and shown["is_deleted"] is True


@pytest.mark.parametrize(
    ("body", "code", "attr"),
    [
        ({}, "required", "reason"),
        ({"reason": "meh"}, "invalid_choice", "reason"),
        ({"reason": "other"}, "required", "details"),
        ({"reason": "spam", "details": "x" * 1001}, "max_length", "details"),
    ],
)
def test_report_bad_input(alice, bob, direct, send, body, code, attr):
    message = send(direct, bob, "rude")
    url = f"{API}/conversations/{direct.pk}/messages/{message.pk}/report/"
    assert error_of(client_for(alice).post(url, body)) == (400, code, attr)


def test_upload_refuses_what_is_not_an_image(alice):
    bad = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = client_for(alice).post(f"{API}/upload/", {"file": bad}, format="multipart")
    assert response.status_code == 415
    assert client_for(alice).post(f"{API}/upload/", {"file": "x"}).status_code == 415


def test_unknown_conversation_is_404(alice):
    assert client_for(alice).get(f"{API}/conversations/{uuid.uuid4()}/").status_code == 404
    assert client_for(alice).get(f"{API}/conversations/nope/").status_code == 404


def test_conversation_exists_once_in_the_database(alice, bob, direct):
    assert Conversation.objects.filter(direct_key__isnull=False).count() == 1


def test_orphan_uploads_are_cleaned_up_but_not_sent_ones_nor_avatars(alice, direct, group):
    from datetime import timedelta

    from chat.media import delete_orphans

    client = client_for(alice)

    def upload():
        return client.post(f"{API}/upload/", {"file": image_upload()}, format="multipart").json()

    orphan, sent, avatar = upload(), upload(), upload()
    client.post(f"{API}/conversations/{direct.pk}/messages/", {"media_ids": [sent["id"]]})
    client.patch(f"{API}/conversations/{group.pk}/", {"avatar": avatar["id"]})
    assert delete_orphans() == 0  # within the grace period
    assert delete_orphans(older_than=timedelta(0)) == 1
    assert set(ChatMedia.objects.values_list("pk", flat=True)) == {
        uuid.UUID(sent["id"]),
        uuid.UUID(avatar["id"]),
    }
    assert orphan["id"]


def test_beat_cleans_up_chat_uploads(settings):
    from chat.tasks import delete_orphan_media
    from config.celery import app

    [entry] = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "chat.tasks.delete_orphan_media"
    ]
    assert entry["task"] == delete_orphan_media.name and entry["task"] in app.tasks


@pytest.mark.parametrize("members", [2, 30])
def test_a_send_costs_the_same_queries_whatever_the_group_size(
    members, alice, user_factory, django_assert_max_num_queries
):
    group = group_conversation(alice, *(user_factory() for _ in range(members)))
    client = client_for(alice)
    with django_assert_max_num_queries(13):
        response = client.post(f"{API}/conversations/{group.pk}/messages/", {"body": "hi"})
    assert response.status_code == 201
