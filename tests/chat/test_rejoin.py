"""A member who left (or was removed from) a group and is added back sees what was
said before they left and after they returned, never what was said while they
were away (as on WhatsApp): not in the history, not as the list's `last_message`,
not in `unread_count`, not as a read marker, a page bound or a report's target,
not in the events of those messages."""

import json
import uuid

import pytest
from django.db import connection

from chat import services
from chat.models import ConversationParticipant, Message, ParticipationGap
from chat.selectors import visible_messages
from realtime import eventlog
from tests.factories import chat_message, group_conversation

from .conftest import client_for, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/chat"


def _away_and_back(*, leave: bool = False):
    """Alice owns a group with Bob and Carol. Carol sees `before`, leaves (or is
    removed), misses `while_away` and `also_away`, and is added back."""
    alice, bob, carol = make_user(), make_user(), make_user()
    group = group_conversation(alice, bob, carol)
    before = chat_message(group, alice, "before")
    if leave:
        services.leave_conversation(user=carol, conversation_id=group.pk)
    else:
        services.remove_participant(actor=alice, conversation_id=group.pk, user_id=carol.pk)
    while_away = chat_message(group, bob, "while away")
    also_away = chat_message(group, alice, "also away")
    services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[carol.pk])
    return alice, bob, carol, group, before, while_away, also_away


def _history(user, group, query=""):
    return client_for(user).get(f"{API}/conversations/{group.pk}/messages/{query}")


def _bodies(response):
    assert response.status_code == 200, response.content
    return [m["body"] for m in response.json()["messages"]]


def _listed(user, group):
    response = client_for(user).get(f"{API}/conversations/")
    assert response.status_code == 200
    (row,) = [c for c in response.json()["conversations"] if c["id"] == str(group.pk)]
    return row


@pytest.mark.parametrize("leave", [False, True], ids=["removed", "left"])
def test_the_history_skips_what_was_said_while_away(leave):
    _, bob, carol, group, *_ = _away_and_back(leave=leave)
    chat_message(group, bob, "after")
    assert _bodies(_history(carol, group)) == ["after", "before"]
    # Those who stayed see everything.
    assert _bodies(_history(bob, group)) == ["after", "also away", "while away", "before"]


def test_every_gap_is_skipped_and_pages_run_across_them():
    alice, bob, carol, group, before, *_ = _away_and_back()
    back = chat_message(group, bob, "back")
    services.remove_participant(actor=alice, conversation_id=group.pk, user_id=carol.pk)
    chat_message(group, bob, "away again")
    services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[carol.pk])
    last = chat_message(group, bob, "back again")
    assert ParticipationGap.objects.filter(participant__user=carol).count() == 2
    assert _bodies(_history(carol, group)) == ["back again", "back", "before"]
    page = _history(carol, group, "?page_size=1").json()
    assert [m["body"] for m in page["messages"]] == ["back again"]
    assert _bodies(client_for(carol).get(page["next_page"])) == ["back"]
    assert _bodies(_history(carol, group, f"?before={back.pk}")) == ["before"]
    assert _bodies(_history(carol, group, f"?after={before.pk}&page_size=1")) == ["back"]
    assert _bodies(_history(carol, group, f"?after={back.pk}")) == ["back again"]
    assert last.pk


def test_a_message_from_the_gap_is_no_page_bound():
    *_, carol, group, _, while_away, _ = _away_and_back()
    for name in ("before", "after"):
        response = _history(carol, group, f"?{name}={while_away.pk}")
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == name


def test_the_list_and_detail_show_the_last_message_they_saw():
    _, bob, carol, group, *_ = _away_and_back()
    row = _listed(carol, group)
    assert row["last_message"]["body"] == "before"
    assert row["unread_count"] == 0
    detail = client_for(carol).get(f"{API}/conversations/{group.pk}/").json()
    assert detail["last_message"]["body"] == "before"
    assert _listed(bob, group)["last_message"]["body"] == "also away"
    chat_message(group, bob, "after")
    row = _listed(carol, group)
    assert (row["last_message"]["body"], row["unread_count"]) == ("after", 1)


def test_nothing_said_while_away_is_unread_whatever_became_of_the_marker():
    _, bob, carol, group, before, _, also_away = _away_and_back()
    # The messages around the return vanish for good (their sender's account
    # deleted, say): the marker cannot point past them any more.
    Message.objects.filter(pk__in=[before.pk, also_away.pk]).delete()
    ConversationParticipant.objects.filter(user=carol).update(last_read_message=None)
    assert _listed(carol, group)["unread_count"] == 0
    chat_message(group, bob, "after")
    assert _listed(carol, group)["unread_count"] == 1
    response = client_for(carol).post(
        f"{API}/conversations/{group.pk}/read/",
        {"up_to": str(Message.objects.get(body="after").pk)},
    )
    assert response.json()["unread_count"] == 0


def test_a_message_from_the_gap_cannot_be_marked_read():
    *_, carol, group, before, while_away, also_away = _away_and_back()
    url = f"{API}/conversations/{group.pk}/read/"
    response = client_for(carol).post(url, {"up_to": str(also_away.pk)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "up_to"
    response = client_for(carol).post(url, {"message_ids": [str(while_away.pk)]}, format="json")
    assert response.status_code == 400
    # Their marker names only what they saw.
    response = client_for(carol).post(url, {"up_to": str(before.pk)})
    assert response.status_code == 200
    assert response.json() == {"last_read_message_id": str(before.pk), "unread_count": 0}


def test_a_message_from_the_gap_cannot_be_reported():
    *_, carol, group, _, while_away, _ = _away_and_back()
    response = client_for(carol).post(
        f"{API}/conversations/{group.pk}/messages/{while_away.pk}/report/", {"reason": "spam"}
    )
    assert response.status_code == 404


def test_a_newcomer_still_sees_the_history_before_them():
    alice, bob, carol = make_user(), make_user(), make_user()
    group = group_conversation(alice, bob)
    chat_message(group, alice, "old news")
    services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[carol.pk])
    assert _bodies(_history(carol, group)) == ["old news"]
    assert _listed(carol, group)["unread_count"] == 0


def _chat_events(user):
    entries = eventlog.read_since(user.pk, "0-0") or []
    return [(e.type, json.loads(e.data_json)) for e in entries if e.type.startswith("chat.")]


def test_events_of_a_message_from_the_gap_pass_them_by(committed):
    alice, bob, carol, _, before, while_away, _ = _away_and_back()
    mark = len(_chat_events(carol))
    committed(services.edit_message, editor=bob, message_id=while_away.pk, body="edited")
    committed(services.delete_message, actor=bob, message_id=while_away.pk)
    assert _chat_events(carol)[mark:] == []
    assert [t for t, _ in _chat_events(alice)][-2:] == [
        "chat.message.updated",
        "chat.message.deleted",
    ]
    committed(services.edit_message, editor=alice, message_id=before.pk, body="seen")
    assert [t for t, _ in _chat_events(carol)[mark:]] == ["chat.message.updated"]


def test_the_rejoin_event_shows_a_last_message_everyone_saw(committed):
    alice, bob, carol = make_user(), make_user(), make_user()
    group = group_conversation(alice, bob, carol)
    chat_message(group, alice, "before")
    services.remove_participant(actor=alice, conversation_id=group.pk, user_id=carol.pk)
    chat_message(group, bob, "while away")
    committed(services.add_participants, actor=alice, conversation_id=group.pk, user_ids=[carol.pk])
    kind, data = _chat_events(carol)[-1]
    assert kind == "chat.conversation.updated"
    assert data["last_message"]["body"] == "before"


def test_the_history_costs_the_same_queries_however_many_gaps(
    django_assert_max_num_queries,
):
    alice, bob, carol, group, *_ = _away_and_back()
    for _ in range(3):
        services.remove_participant(actor=alice, conversation_id=group.pk, user_id=carol.pk)
        chat_message(group, bob, "away")
        services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[carol.pk])
        chat_message(group, bob, "back")
    for query in ("", "?page_size=2"):
        with django_assert_max_num_queries(4):
            assert _history(carol, group, query).status_code == 200
    first = Message.objects.filter(body="before").get()
    with django_assert_max_num_queries(5):
        assert _history(carol, group, f"?after={first.pk}").status_code == 200
    with django_assert_max_num_queries(4):
        assert _listed(carol, group)["last_message"]["body"] == "back"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_a_rejoined_members_history_pages_on_the_history_index():
    _, _, carol, group, *_ = _away_and_back()
    participation = ConversationParticipant.objects.get(conversation=group, user=carol)
    page = visible_messages(participation).order_by("-created_at", "-id")[:21]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = page.explain()
    assert "chat_message_history_idx" in plan
    assert "chat_gap_participant_idx" in plan


def test_a_message_from_the_gap_is_marked_read_as_an_unknown_message_would_be(committed):
    """Naming a message from their gap answers exactly what naming a message of
    another conversation (or none at all) answers: nothing tells it exists, the
    marker stays and nobody is told of a read."""
    alice, bob, carol, group, before, while_away, also_away = _away_and_back()
    committed(services.mark_read, user=carol, conversation_id=group.pk, up_to=before.pk)
    elsewhere = chat_message(group_conversation(alice, carol), alice, "elsewhere")
    url = f"{API}/conversations/{group.pk}/read/"
    marks = {user: len(_chat_events(user)) for user in (alice, bob, carol)}

    def answer(body):
        with_commit = committed(
            lambda: client_for(carol).post(url, body, format="json"),
        )
        return with_commit.status_code, with_commit.json()

    for name, wrap in (("up_to", str), ("message_ids", lambda m: [m])):
        unknown = answer({name: wrap(str(uuid.uuid4()))})
        foreign = answer({name: wrap(str(elsewhere.pk))})
        assert unknown == foreign
        assert unknown[0] == 400
        assert [(e["code"], e["attr"]) for e in unknown[1]["errors"]] == [("does_not_exist", name)]
        for message in (while_away, also_away):
            assert answer({name: wrap(str(message.pk))}) == unknown
    # Among messages they saw, one from the gap spoils the lot.
    mixed = answer({"message_ids": [str(before.pk), str(also_away.pk)]})
    assert mixed == answer({"message_ids": [str(before.pk), str(elsewhere.pk)]})
    assert mixed[0] == 400

    participation = ConversationParticipant.objects.get(conversation=group, user=carol)
    assert participation.last_read_message_id == before.pk
    for user, mark in marks.items():
        assert [t for t, _ in _chat_events(user)[mark:]] == []


def test_a_read_marker_on_a_message_from_the_gap_never_names_it_to_them(committed):
    """Bob reads, after Carol's return, what was said while she was away: the
    others are told his marker, Carol the newest message she saw before it."""
    alice, bob, carol, group, before, while_away, also_away = _away_and_back()
    marks = {user: len(_chat_events(user)) for user in (alice, bob, carol)}
    committed(services.mark_read, user=bob, conversation_id=group.pk, up_to=also_away.pk)

    told = {"conversation_id": str(group.pk), "user_id": str(bob.pk)}
    for user in (alice, bob):
        assert _chat_events(user)[marks[user] :] == [
            ("chat.message.read", {**told, "up_to": str(also_away.pk)})
        ]
    assert _chat_events(carol)[marks[carol] :] == [
        ("chat.message.read", {**told, "up_to": str(before.pk)})
    ]
    assert str(while_away.pk) not in json.dumps(_chat_events(carol))


def test_with_nothing_seen_before_the_gap_they_are_not_told_of_that_read(committed):
    alice, bob, carol = make_user(), make_user(), make_user()
    group = group_conversation(alice, bob, carol)
    services.remove_participant(actor=alice, conversation_id=group.pk, user_id=carol.pk)
    while_away = chat_message(group, bob, "while away")
    services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[carol.pk])
    mark = len(_chat_events(carol))
    committed(services.mark_read, user=alice, conversation_id=group.pk, up_to=while_away.pk)
    assert _chat_events(carol)[mark:] == []
    assert _chat_events(bob)[-1][0] == "chat.message.read"
