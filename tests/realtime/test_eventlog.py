"""The per-user event log, on Redis and on its in-process stand-in."""

import uuid

import pytest

from realtime import eventlog

from .conftest import realtime_settings

TS = "2030-01-01T00:00:00Z"


@pytest.fixture
def alice():
    # Fresh ids: the in-process log outlives a test.
    return uuid.uuid4()


@pytest.fixture
def bob():
    return uuid.uuid4()


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.requires_redis), "memory"])
def store(request, settings):
    if request.param == "memory":
        settings.REDIS_URL = ""
    return request.param


def _append(user_id, count, event_type="test.event"):
    return [
        eventlog.append([user_id], event_type=event_type, ts=TS, data_json=f'{{"n":{n}}}')[0]
        for n in range(count)
    ]


def test_ids_increase_per_user_and_read_since_returns_the_rest_in_order(store, alice, bob):
    ids = _append(alice, 5)
    _append(bob, 2)
    assert [eventlog.parse_event_id(i) for i in ids] == sorted(
        {eventlog.parse_event_id(i) for i in ids}
    )

    after = eventlog.read_since(alice, ids[1])
    assert [e.id for e in after] == ids[2:]
    assert [e.data_json for e in after] == ['{"n":2}', '{"n":3}', '{"n":4}']
    assert after[0].type == "test.event"
    assert after[0].ts == TS
    assert eventlog.read_since(alice, ids[-1]) == []
    assert [e.id for e in eventlog.read_since(alice, "0-0")] == ids


def test_one_append_for_several_users_gives_each_their_own_id(store, alice, bob):
    first, second = eventlog.append([alice, bob], event_type="test.e", ts=TS, data_json="{}")
    assert [e.id for e in eventlog.read_since(alice, "0-0")] == [first]
    assert [e.id for e in eventlog.read_since(bob, "0-0")] == [second]


def test_unknown_or_malformed_since_needs_a_resync(store, alice, bob):
    ids = _append(alice, 3)
    assert eventlog.read_since(alice, "garbage") is None
    assert eventlog.read_since(alice, "1-2-3") is None
    assert eventlog.read_since(alice, "99999999999999999999-0") is None
    assert eventlog.read_since(bob, ids[0]) is None
    # Not one of alice's ids, though inside the range of hers.
    ms, seq = eventlog.parse_event_id(ids[-1])
    assert eventlog.read_since(alice, f"{ms + 1}-{seq}") is None


def test_trimming_is_detected_exactly(store, settings, alice):
    realtime_settings(settings, EVENT_LOG_MAXLEN=3)
    # Redis trims approximately (whole nodes), so push well past a node.
    ids = _append(alice, 150)

    answers = [eventlog.read_since(alice, event_id) for event_id in ids]
    resumable = [i for i, answer in enumerate(answers) if answer is not None]
    # The oldest ids are gone; from the last gone one on, every resume is complete.
    assert resumable[0] > 0
    assert resumable == list(range(resumable[0], len(ids)))
    for i in resumable:
        assert [e.id for e in answers[i]] == ids[i + 1 :]
    assert answers[-3] is not None
