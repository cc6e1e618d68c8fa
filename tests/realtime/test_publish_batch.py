"""publish_batch(): what N single publishes give each user, in a few round trips."""

import json
import logging
import uuid

import pytest
from channels.db import database_sync_to_async

from core import degraded
from realtime import eventlog
from realtime.backend import redis_client
from realtime.groups import user_group
from realtime.publish import PublishError, publish_batch, publish_to_users

from .conftest import access_token, realtime_settings

DB = pytest.mark.django_db(transaction=True)
REDIS = pytest.mark.requires_redis

# (user index, type, data): users interleaved, one of them several times.
PLAN = [
    (0, "test.first", {"n": 1}),
    (1, "test.first", {"n": 2}),
    (0, "test.second", {"n": 3}),
    (2, "test.first", {"n": 4}),
    (0, "test.third", {"n": 5, "text": "é"}),
    (1, "test.second", {"n": 6}),
    (0, "test.fourth", {"n": 7}),
]


def _resume_shape(user) -> list:
    """For each id in the user's log, the positions resume from it returns."""
    log = eventlog.read_since(user, "0-0")
    ids = [event.id for event in log]
    return [[ids.index(e.id) for e in eventlog.read_since(user, i)] for i in ids]


@DB
def test_a_batch_gives_each_user_exactly_what_single_publishes_would(store, settings):
    realtime_settings(settings, PUBLISH_CHUNK_SIZE=2)
    batched = [uuid.uuid4() for _ in range(3)]
    single = [uuid.uuid4() for _ in range(3)]
    # Both start with an event logged, so chaining onto an existing log is covered.
    for user in batched + single:
        publish_to_users([user], "test.before", {})

    publish_batch([(batched[i], event_type, data) for i, event_type, data in PLAN])
    for i, event_type, data in PLAN:
        publish_to_users([single[i]], event_type, data)

    for b, s in zip(batched, single, strict=True):
        got = eventlog.read_since(b, "0-0")
        expected = eventlog.read_since(s, "0-0")
        assert [(e.type, e.data_json) for e in got] == [(e.type, e.data_json) for e in expected]
        assert len(got) == 1 + sum(1 for i, _, _ in PLAN if batched[i] == b)
        assert _resume_shape(b) == _resume_shape(s)
        parsed = [eventlog.parse_event_id(e.id) for e in got]
        assert parsed == sorted(set(parsed))
    assert [json.loads(e.data_json)["n"] for e in eventlog.read_since(batched[0], "0-0")[1:]] == [
        1,
        3,
        5,
        7,
    ]


@REDIS
@DB
def test_on_redis_entries_chain_by_prev_and_the_log_expires_like_a_single_publish(settings):
    realtime_settings(settings, PUBLISH_CHUNK_SIZE=2, EVENT_LOG_TTL_SECONDS=120)
    users = [uuid.uuid4() for _ in range(3)]
    publish_to_users([users[0]], "test.before", {})

    publish_batch([(users[i], event_type, data) for i, event_type, data in PLAN])

    client = redis_client()
    for user in users:
        key = eventlog._log_key(user)
        entries = client.xrange(key)
        assert [fields["prev"] for _, fields in entries] == ["0-0"] + [i for i, _ in entries[:-1]]
        assert 0 < client.ttl(key) <= 120


@REDIS
@DB
def test_trimming_keeps_a_resumable_tail_and_reports_the_gap_like_single_publishes(settings):
    realtime_settings(settings, EVENT_LOG_MAXLEN=3, PUBLISH_CHUNK_SIZE=40)
    batched, single = uuid.uuid4(), uuid.uuid4()

    # Redis trims approximately (whole nodes), so push well past a node.
    publish_batch([(batched, "test.event", {"n": n}) for n in range(150)])
    for n in range(150):
        publish_to_users([single], "test.event", {"n": n})

    client = redis_client()
    for user in (batched, single):
        entries = client.xrange(eventlog._log_key(user))
        kept = [entry_id for entry_id, _ in entries]
        # The newest entries, in order; resume from the one before the oldest kept
        # (or any kept one) is exact; from before that, the gap is reported.
        assert 3 <= len(kept) < 150
        tail = eventlog.read_since(user, entries[0][1]["prev"])
        assert [e.id for e in tail] == kept
        assert [json.loads(e.data_json)["n"] for e in tail] == list(range(150 - len(kept), 150))
        assert [e.id for e in eventlog.read_since(user, kept[1])] == kept[2:]
        assert eventlog.read_since(user, "0-0") is None


@DB
@pytest.mark.parametrize("chunk_size", [2, 500])
async def test_sockets_get_their_events_live_in_order_and_an_offline_user_on_resume(
    make_user, open_socket, settings, chunk_size
):
    # Chunks of 2 split a user's events across chunks; 500 puts them all in one.
    realtime_settings(settings, PUBLISH_CHUNK_SIZE=chunk_size)
    users = [await database_sync_to_async(make_user)() for _ in range(3)]
    alice, bob, carol = users
    phone = await open_socket(access_token(alice))
    laptop = await open_socket(access_token(alice), via="query")
    bobs = await open_socket(access_token(bob))

    await database_sync_to_async(publish_batch)(
        [(users[i].pk, event_type, data) for i, event_type, data in PLAN]
    )

    for user, sockets in ((alice, [phone, laptop]), (bob, [bobs])):
        logged = await database_sync_to_async(eventlog.read_since)(user.pk, "0-0")
        expected = [
            {"type": e.type, "id": e.id, "ts": e.ts, "data": json.loads(e.data_json)}
            for e in logged
        ]
        assert [e["data"] for e in expected] == [data for i, _, data in PLAN if users[i] == user]
        for socket in sockets:
            assert [await socket.receive() for _ in expected] == expected
            assert await socket.comm.receive_nothing(timeout=0.2)

    back = await open_socket(access_token(carol), since="0-0")
    event = await back.receive()
    assert (event["type"], event["data"]) == ("test.first", {"n": 4})
    assert await back.comm.receive_nothing(timeout=0.2)


@REDIS
@DB
def test_round_trips_per_chunk_not_per_event(settings, redis_calls, listener):
    realtime_settings(settings, PUBLISH_CHUNK_SIZE=500)
    users = [str(uuid.uuid4()) for _ in range(1200)]
    # Online: one in the first chunk, two (one with two sockets) in the last.
    online = {users[10]: 1, users[1100]: 2, users[1199]: 1}
    channels = {uid: listener.join(user_group(uid), n) for uid, n in online.items()}
    publish_to_users([uuid.uuid4()], "test.warm.up", {})  # loads the append script
    redis_calls.reset()

    publish_batch([(uid, "test.batch", {"i": i}) for i, uid in enumerate(users)])

    # Per chunk of 500: one call appends to the logs, one PUBLISH sends the
    # chunk to every server as one bundle, whoever of its users is listening.
    assert redis_calls.scripts(eventlog._APPEND_SCRIPT) == 3
    assert redis_calls.counts() == {("sync", "EVALSHA"): 3, ("async", "PUBLISH"): 3}
    for uid, user_channels in channels.items():
        [event] = eventlog.read_since(uid, "0-0")
        for message in listener.received(user_channels):
            assert message["id"] == event.id
            assert json.loads(message["text"])["data"] == {"i": users.index(uid)}
    assert [len(eventlog.read_since(uid, "0-0")) for uid in users] == [1] * len(users)


@REDIS
@DB
@pytest.mark.on_commit_failures_expected
def test_a_chunk_that_cannot_be_logged_is_not_sent_and_the_rest_still_go(
    settings, caplog, listener
):
    realtime_settings(settings, PUBLISH_CHUNK_SIZE=2)
    users = [str(uuid.uuid4()) for _ in range(6)]
    channels = [listener.join(user_group(uid))[0] for uid in users]
    # Not a stream: the second chunk's append fails, before writing anything.
    redis_client().set(eventlog._log_key(users[3]), "corrupt")

    with caplog.at_level(logging.ERROR):
        publish_batch([(uid, "test.batch", {"i": i}) for i, uid in enumerate(users)])

    [error] = [_exc(r) for r in caplog.records if isinstance(_exc(r), PublishError)]
    assert (error.not_logged, error.not_sent, error.total) == (users[2:4], [], 6)
    assert "2 of 6 realtime events neither logged nor sent" in caplog.text
    assert eventlog.read_since(users[2], "0-0") is None
    received = listener.received(channels)
    assert received[2:4] == [None, None]
    for i in (0, 1, 4, 5):
        [event] = eventlog.read_since(users[i], "0-0")
        assert received[i]["id"] == event.id


@REDIS
@DB
@pytest.mark.on_commit_failures_expected
def test_events_logged_but_not_sent_in_an_outage_are_replayed_on_resume(settings, caplog):
    realtime_settings(settings, PUBLISH_CHUNK_SIZE=2)
    # A channel layer nobody answers at: logging works, sending does not.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "realtime.layer.PubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},
        }
    }
    users = [str(uuid.uuid4()) for _ in range(3)]

    degraded.reset()
    with caplog.at_level(logging.WARNING):
        publish_batch([(uid, "test.batch", {"i": i}) for i, uid in enumerate(users)])
    degraded.reset()

    # An outage, not a bug: one warning, no PublishError; resume replays them.
    assert not [r for r in caplog.records if isinstance(_exc(r), PublishError)]
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.degraded"]
    assert len(warnings) == 1 and "channel_layer" in warnings[0], warnings
    for uid in users:
        assert [e.type for e in eventlog.read_since(uid, "0-0")] == ["test.batch"]


def _exc(record):
    return record.exc_info[1] if record.exc_info else None


def test_bad_events_fail_in_the_caller():
    with pytest.raises(ValueError):
        publish_batch([("u1", "test.ok", {}), ("u2", "NoDots", {})])
    with pytest.raises(TypeError):
        publish_batch([("u1", "test.ok", ["not", "a", "mapping"])])
