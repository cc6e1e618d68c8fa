"""Large groups: a membership change costs linear in members, not quadratic.

`chat.conversation.updated` names its change (`change`: action, actor, `added`,
`removed`, their counts) and carries the first `CHAT_EVENT_PARTICIPANTS_MAX`
participants with `participant_count`, whatever the group's size; so does each
item of the conversation list. The detail lists every participant."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import services
from chat.models import ConversationParticipant, Role
from realtime import eventlog
from tests.factories import chat_message, direct_conversation, group_conversation

from .conftest import client_for, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/chat"
UPDATED = "chat.conversation.updated"


def conversation_events(user) -> list[dict]:
    """The `chat.conversation.updated` events in the user's log, as stored."""
    entries = eventlog.read_since(user.pk, "0-0") or []
    return [json.loads(e.data_json) for e in entries if e.type == UPDATED]


def last_change(user) -> dict:
    return conversation_events(user)[-1]


def ids(users) -> list[str]:
    return [str(u.pk) for u in users]


def test_a_500_member_groups_creation_event_is_bounded(committed, settings):
    assert settings.CHAT_EVENT_PARTICIPANTS_MAX == 20
    owner = make_user()
    members = [make_user() for _ in range(499)]
    small = committed(
        services.create_group, creator=owner, title="Crew", participant_ids=ids(members[:24])
    )
    big = committed(
        services.create_group, creator=owner, title="Crew", participant_ids=ids(members)
    )

    def stored(user, conversation):
        (data,) = [d for d in conversation_events(user) if d["id"] == str(conversation.pk)]
        return data

    sizes = set()
    for member in members:
        data = stored(member, big)
        assert data["participant_count"] == 500
        assert len(data["participants"]) == 20
        assert data["participants"][0] == {
            "id": str(owner.pk),
            "username": owner.username,
            "avatar_url": data["participants"][0]["avatar_url"],
            "role": "owner",
            "online": False,
            "last_read_message_id": None,
        }
        assert [p["id"] for p in data["participants"][1:]] == ids(members[:19])
        change = data["change"]
        assert (change["action"], change["actor_id"]) == ("created", str(owner.pk))
        assert change["added"] == ids([owner, *members[:19]])
        assert (change["added_count"], change["removed"], change["removed_count"]) == (500, [], 0)
        sizes.add(len(json.dumps(data, separators=(",", ":"))))
    # The same event for all 500 (one size), a few kB, as large as a 25-member
    # group's: what the group's creation stores in all is linear in its members.
    (size,) = sizes
    assert size < 6_000, size
    small_size = len(json.dumps(stored(owner, small), separators=(",", ":")))
    assert abs(size - small_size) < 40, (size, small_size)


@pytest.fixture
def few(settings):
    settings.CHAT_EVENT_PARTICIPANTS_MAX = 3


def test_participants_are_the_owner_the_admins_then_by_seniority(committed, few):
    owner, *members = (make_user() for _ in range(6))
    group = committed(
        services.create_group, creator=owner, title="Crew", participant_ids=ids(members)
    )
    # The last to join becomes an admin: shown right after the owner.
    ConversationParticipant.objects.filter(conversation=group, user=members[-1]).update(
        role=Role.ADMIN
    )
    committed(services.update_conversation, actor=owner, conversation_id=group.pk, title="Crag")

    expected = ids([owner, members[-1], members[0]])
    data = last_change(members[1])
    assert [p["id"] for p in data["participants"]] == expected
    assert data["participant_count"] == 6
    assert data["change"] == {
        "action": "updated",
        "actor_id": str(owner.pk),
        "added": [],
        "added_count": 0,
        "removed": [],
        "removed_count": 0,
        "fields": ["title"],
    }
    (item,) = client_for(members[1]).get(f"{API}/conversations/").json()["conversations"]
    assert [p["id"] for p in item["participants"]] == expected
    assert item["participant_count"] == 6
    # The detail lists every one, in the same order.
    detail = client_for(members[1]).get(f"{API}/conversations/{group.pk}/").json()
    assert [p["id"] for p in detail["participants"]] == ids([owner, members[-1], *members[:-1]])
    assert detail["participant_count"] == 6


def test_adding_names_who_was_added(committed, few):
    alice, bob, dave, erin = (make_user() for _ in range(4))
    group = committed(services.create_group, creator=alice, title="Crew", participant_ids=[bob.pk])
    committed(
        services.add_participants,
        actor=alice,
        conversation_id=group.pk,
        user_ids=[dave.pk, erin.pk],
    )
    for user in (alice, bob, dave, erin):  # the newcomers are told too
        data = last_change(user)
        assert data["change"]["action"] == "participants_added"
        assert data["change"]["actor_id"] == str(alice.pk)
        assert data["change"]["added"] == ids([dave, erin])
        assert data["change"]["added_count"] == 2
        assert (data["change"]["removed"], data["change"]["removed_count"]) == ([], 0)
        assert data["participant_count"] == 4 and len(data["participants"]) == 3


def test_adding_many_at_once_bounds_the_ids_and_counts_them_all(committed, few):
    alice, bob = make_user(), make_user()
    newcomers = [make_user() for _ in range(7)]
    group = committed(services.create_group, creator=alice, title="Crew", participant_ids=[bob.pk])
    committed(
        services.add_participants, actor=alice, conversation_id=group.pk, user_ids=ids(newcomers)
    )
    change = last_change(bob)["change"]
    assert change["added"] == ids(newcomers[:3])
    assert change["added_count"] == 7
    assert last_change(bob)["participant_count"] == 9


def test_a_member_added_back_is_among_added(committed):
    alice, bob, carol = make_user(), make_user(), make_user()
    group = committed(
        services.create_group, creator=alice, title="Crew", participant_ids=ids([bob, carol])
    )
    committed(services.remove_participant, actor=alice, conversation_id=group.pk, user_id=carol.pk)
    committed(services.add_participants, actor=alice, conversation_id=group.pk, user_ids=[carol.pk])
    change = last_change(bob)["change"]
    assert (change["action"], change["added"]) == ("participants_added", [str(carol.pk)])


def test_removing_and_leaving_name_who_went_and_tell_them(committed):
    alice, bob, carol = make_user(), make_user(), make_user()
    group = committed(
        services.create_group, creator=alice, title="Crew", participant_ids=ids([bob, carol])
    )
    committed(services.remove_participant, actor=alice, conversation_id=group.pk, user_id=bob.pk)
    for user in (alice, bob, carol):
        data = last_change(user)
        assert data["change"]["action"] == "participant_removed"
        assert data["change"]["actor_id"] == str(alice.pk)
        assert data["change"]["removed"] == [str(bob.pk)]
        assert data["change"]["removed_count"] == 1
        assert (data["change"]["added"], data["change"]["added_count"]) == ([], 0)
        assert data["participant_count"] == 2
        assert str(bob.pk) not in {p["id"] for p in data["participants"]}

    committed(services.leave_conversation, user=carol, conversation_id=group.pk)
    for user in (alice, carol):
        change = last_change(user)["change"]
        assert (change["action"], change["actor_id"]) == ("participant_left", str(carol.pk))
        assert change["removed"] == [str(carol.pk)]
    # Bob, gone before, is not told.
    assert last_change(bob)["change"]["action"] == "participant_removed"


def test_a_new_direct_adds_both_and_a_patch_names_its_fields(committed):
    alice, bob = make_user(), make_user()
    direct, _ = committed(services.start_direct, user=alice, other_id=bob.pk)
    data = last_change(bob)
    assert data["id"] == str(direct.pk)
    assert data["change"]["action"] == "created"
    assert data["change"]["added"] == ids([alice, bob])
    assert data["participant_count"] == 2 and len(data["participants"]) == 2

    group = committed(services.create_group, creator=alice, title="Crew", participant_ids=[bob.pk])
    committed(
        services.update_conversation,
        actor=alice,
        conversation_id=group.pk,
        title="Renamed",
        avatar=None,
    )
    assert last_change(bob)["change"]["fields"] == ["title", "avatar_url"]


def test_a_direct_always_shows_both_whatever_the_setting(committed, settings):
    settings.CHAT_EVENT_PARTICIPANTS_MAX = 1
    alice, bob = make_user(), make_user()
    direct_conversation(alice, bob)
    (item,) = client_for(alice).get(f"{API}/conversations/").json()["conversations"]
    assert len(item["participants"]) == 2


def _list_queries(user) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as queries:
        response = client_for(user).get(f"{API}/conversations/")
    assert response.status_code == 200
    return len(queries), response.json()["conversations"]


def test_the_list_costs_the_same_queries_and_items_whatever_the_group_sizes(few):
    alice = make_user()
    others = [make_user() for _ in range(30)]
    for n in range(3):
        group = group_conversation(alice, *others[:2], title=f"small {n}")
        chat_message(group, alice, "hi")
    small_queries, small = _list_queries(alice)

    for n in range(3):
        group = group_conversation(alice, *others, title=f"large {n}")
        chat_message(group, others[0], "hi")
    large_queries, listed = _list_queries(alice)

    assert large_queries == small_queries
    assert len(listed) == 6 and len(small) == 3
    by_title = {item["title"]: item for item in listed}
    for n in range(3):
        assert by_title[f"small {n}"]["participant_count"] == 3
        assert len(by_title[f"small {n}"]["participants"]) == 3
        assert by_title[f"large {n}"]["participant_count"] == 31
        assert [p["id"] for p in by_title[f"large {n}"]["participants"]] == ids(
            [alice, *others[:2]]
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="replays Postgres's SQL")
def test_the_list_reads_only_the_shown_participants_from_the_database(few):
    alice = make_user()
    others = [make_user() for _ in range(30)]
    for n in range(2):
        group_conversation(alice, *others, title=f"large {n}")
    with CaptureQueriesContext(connection) as queries:
        client_for(alice).get(f"{API}/conversations/")
    (members,) = [q["sql"] for q in queries if "ROW_NUMBER" in q["sql"].upper()]
    with connection.cursor() as cursor:
        cursor.execute(members)
        assert len(cursor.fetchall()) == 2 * 3
