"""Read receipts a client rebuilds after a reload: the conversation detail (every
participant) and list item (its bounded participants) carry each participant's
`last_read_message_id`, never an id from the viewer's own gap (a member added
back learns, as from `chat.message.read`, the newest message they saw before it)."""

import json

import pytest

from chat import events, services
from tests.factories import chat_message, direct_conversation, group_conversation

from .conftest import client_for, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/chat"


def _markers(body: dict) -> dict:
    return {p["id"]: p["last_read_message_id"] for p in body["participants"]}


def _detail(user, conversation) -> dict:
    response = client_for(user).get(f"{API}/conversations/{conversation.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


def _listed(user, conversation) -> dict:
    response = client_for(user).get(f"{API}/conversations/")
    assert response.status_code == 200, response.content
    (row,) = [c for c in response.json()["conversations"] if c["id"] == str(conversation.pk)]
    return row


def test_the_other_participants_read_marker_survives_a_reload():
    alice, bob = make_user(), make_user()
    direct = direct_conversation(alice, bob)
    first = chat_message(direct, alice, "first")
    second = chat_message(direct, alice, "second")
    assert _markers(_detail(alice, direct))[str(bob.pk)] is None

    read = client_for(bob).post(
        f"{API}/conversations/{direct.pk}/read/", {"up_to": str(first.pk)}, format="json"
    )
    assert read.status_code == 200, read.content

    # Alice reloads: her REST reads show where Bob is, and her own marker.
    expected = {str(alice.pk): str(second.pk), str(bob.pk): str(first.pk)}
    assert _markers(_detail(alice, direct)) == expected
    assert _markers(_listed(alice, direct)) == expected
    assert _markers(_detail(bob, direct)) == expected


def _away_and_back():
    """Alice owns a group with Bob and Carol. Bob and Carol read `before`; Carol is removed,
    misses `while_away` (Bob's) and `also_away` (Alice's), and is added back."""
    alice, bob, carol = make_user(), make_user(), make_user()
    group = group_conversation(alice, bob, carol)
    before = chat_message(group, alice, "before")
    for reader in (bob, carol):
        services.mark_read(user=reader, conversation_id=group.pk, up_to=before.pk)
    services.remove_participant(actor=alice, conversation_id=group.pk, user_id=carol.pk)
    while_away = chat_message(group, bob, "while away")
    also_away = chat_message(group, alice, "also away")
    services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[carol.pk])
    return alice, bob, carol, group, before, while_away, also_away


def test_a_member_added_back_never_learns_a_marker_from_their_gap():
    alice, bob, carol, group, before, while_away, also_away = _away_and_back()
    services.mark_read(user=bob, conversation_id=group.pk, up_to=also_away.pk)

    # Those who stayed see the markers as they are.
    for viewer in (alice, bob):
        assert _markers(_detail(viewer, group)) == {
            str(alice.pk): str(also_away.pk),
            str(bob.pk): str(also_away.pk),
            str(carol.pk): str(before.pk),
        }
    # Carol: the newest message she saw at or before each marker.
    for shown in (_detail(carol, group), _listed(carol, group)):
        assert _markers(shown) == {
            str(alice.pk): str(before.pk),
            str(bob.pk): str(before.pk),
            str(carol.pk): str(before.pk),
        }
        text = json.dumps(shown)
        assert str(while_away.pk) not in text and str(also_away.pk) not in text

    # Once a marker passes her return, she sees it as it is.
    after = chat_message(group, bob, "after")
    assert _markers(_detail(carol, group))[str(bob.pk)] == str(after.pk)
    assert _markers(_detail(carol, group))[str(alice.pk)] == str(before.pk)


def test_with_nothing_seen_before_the_gap_the_marker_is_null():
    alice, bob, carol = make_user(), make_user(), make_user()
    group = group_conversation(alice, bob, carol)
    services.remove_participant(actor=alice, conversation_id=group.pk, user_id=carol.pk)
    while_away = chat_message(group, bob, "while away")
    services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[carol.pk])

    assert _markers(_detail(alice, group))[str(bob.pk)] == str(while_away.pk)
    assert _markers(_detail(carol, group))[str(bob.pk)] is None
    assert _markers(_listed(carol, group))[str(bob.pk)] is None


def test_the_shared_row_every_participant_is_sent_names_no_ones_gap():
    """`chat.conversation.updated` goes to every participant alike: its markers
    follow the gaps of all of them, as its `last_message` does."""
    *_, group, before, while_away, also_away = _away_and_back()
    payload = events.conversation_payload(group.pk)
    assert set(_markers(payload).values()) == {str(before.pk)}
    text = json.dumps(payload)
    assert str(while_away.pk) not in text and str(also_away.pk) not in text


def test_markers_cost_no_query_more(django_assert_max_num_queries):
    alice, bob, carol, group, *_ = _away_and_back()
    for _ in range(3):
        services.remove_participant(actor=alice, conversation_id=group.pk, user_id=carol.pk)
        chat_message(group, bob, "away")
        services.add_participants(actor=alice, conversation_id=group.pk, user_ids=[carol.pk])
    members = [make_user() for _ in range(25)]
    services.add_participants(
        actor=alice, conversation_id=group.pk, user_ids=[m.pk for m in members]
    )
    for member in members[:5]:
        group_conversation(member, carol, title="another")
    for viewer in (carol, alice):
        with django_assert_max_num_queries(4):
            _listed(viewer, group)
        with django_assert_max_num_queries(4):
            _detail(viewer, group)
