"""System broadcasts: staff only, batched in tasks, preferences honoured, nothing twice."""

import json
import logging

import pytest
from channels.db import database_sync_to_async

from notifications.models import Broadcast, Device, Kind, Notification
from notifications.services import broadcast as services
from notifications.services.preferences import update_preferences
from realtime import eventlog
from realtime.backend import redis_client
from realtime.publish import PublishError
from tests.clients import client_for
from tests.factories import make_user
from tests.sockets import access_token, realtime_settings

from .conftest import about, notifications_of, notifications_settings

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/notifications/broadcasts/"
MESSAGE = {"title": "Maintenance tonight", "body": "Down 02:00-02:30 UTC."}


def test_staff_broadcast_reaches_every_active_user_in_batches(settings):
    notifications_settings(settings, BROADCAST_BATCH_SIZE=3)
    staff = make_user(is_staff=True, is_superuser=True)
    members = [make_user() for _ in range(7)]
    make_user(is_active=False)

    resp = client_for(staff).post(URL, MESSAGE, format="json")

    assert resp.status_code == 202
    assert resp.json()["title"] == MESSAGE["title"]
    broadcast = Broadcast.objects.get()
    assert (broadcast.status, broadcast.recipient_count) == (Broadcast.Status.DONE, 8)
    assert broadcast.finished_at is not None
    for user in [staff, *members]:
        [n] = notifications_of(user)
        assert about(n) == (Kind.SYSTEM, None, "notifications.broadcast", str(broadcast.pk))
    item = client_for(members[0]).get("/api/v1/notifications/").json()["notifications"][0]
    assert (item["title"], item["body"], item["actor"]) == (MESSAGE["title"], MESSAGE["body"], None)
    assert Notification.objects.count() == 8


def test_members_cannot_broadcast():
    member = make_user()
    resp = client_for(member).post(URL, MESSAGE, format="json")
    assert resp.status_code == 403
    assert resp.json()["errors"][0]["code"] == "permission_denied"
    assert Broadcast.objects.count() == 0 and Notification.objects.count() == 0


def test_broadcast_validates():
    resp = client_for(make_user(is_staff=True, is_superuser=True)).post(
        URL, {"title": ""}, format="json"
    )
    assert resp.status_code == 400
    assert {e["attr"] for e in resp.json()["errors"]} == {"title", "body"}


def test_each_batch_commits_on_its_own_and_a_rerun_adds_nothing(settings):
    notifications_settings(settings, BROADCAST_BATCH_SIZE=2)
    users = [make_user() for _ in range(5)]
    broadcast = Broadcast.objects.create(**MESSAGE)

    progress = []
    while True:
        more = services.send_broadcast_batch(broadcast_id=broadcast.pk)
        progress.append(Notification.objects.count())
        if not more:
            break

    assert progress == [2, 4, 5]
    # A batch run again after a crash (cursor lost) creates nothing twice.
    Broadcast.objects.filter(pk=broadcast.pk).update(cursor=None, status=Broadcast.Status.SENDING)
    while services.send_broadcast_batch(broadcast_id=broadcast.pk):
        pass
    assert Notification.objects.count() == 5
    assert Broadcast.objects.get().recipient_count == 5
    assert all(len(notifications_of(u)) == 1 for u in users)
    assert services.send_broadcast_batch(broadcast_id=broadcast.pk) is False


def test_a_spent_time_budget_hands_over_to_a_fresh_task(settings):
    notifications_settings(settings, BROADCAST_BATCH_SIZE=1, BROADCAST_TASK_SECONDS=0)
    staff = make_user(is_staff=True, is_superuser=True)
    for _ in range(3):
        make_user()

    services.create_broadcast(sender=staff, **MESSAGE)

    assert Notification.objects.count() == 4
    assert Broadcast.objects.get().status == Broadcast.Status.DONE


def test_users_who_joined_after_the_broadcast_are_not_included(settings):
    staff = make_user(is_staff=True, is_superuser=True)
    broadcast = Broadcast.objects.create(**MESSAGE)
    make_user()

    services.send_broadcast_batch(broadcast_id=broadcast.pk)

    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [staff.pk]


def test_broadcast_honours_preferences(fake_fcm, mailoutbox):
    staff = make_user(is_staff=True, is_superuser=True)
    quiet, emailed = make_user(), make_user()
    update_preferences(user=quiet, kinds={"system": {"in_app": False, "push": False}})
    update_preferences(user=emailed, kinds={"system": {"email": True}})
    Device.objects.create(user=quiet, platform="ios", token="quiet-phone")
    Device.objects.create(user=emailed, platform="android", token="emailed-phone")

    services.create_broadcast(sender=staff, **MESSAGE)

    assert notifications_of(quiet) == []
    assert len(notifications_of(emailed)) == 1
    assert fake_fcm.tokens_sent() == ["emailed-phone"]
    assert fake_fcm.sends[0]["message"]["notification"]["title"] == MESSAGE["title"]
    assert [m.to for m in mailoutbox] == [[emailed.email]]


def test_the_admin_add_form_sends_a_broadcast(client):
    admin = make_user(is_staff=True, is_superuser=True)
    make_user()
    client.force_login(admin)

    resp = client.post("/admin/notifications/broadcast/add/", MESSAGE)

    assert resp.status_code == 302, resp.content[:500]
    broadcast = Broadcast.objects.get()
    assert (broadcast.created_by_id, broadcast.status) == (admin.pk, Broadcast.Status.DONE)
    assert Notification.objects.filter(kind=Kind.SYSTEM).count() == 2


def _make_users(count):
    return [make_user() for _ in range(count)]


async def test_a_broadcast_reaches_open_sockets_live_and_the_others_on_resume(
    settings, open_socket
):
    # Batches of 3 published in chunks of 2: the sockets sit in different chunks.
    notifications_settings(settings, BROADCAST_BATCH_SIZE=3)
    realtime_settings(settings, PUBLISH_CHUNK_SIZE=2)
    staff = await database_sync_to_async(make_user)(is_staff=True, is_superuser=True)
    members = await database_sync_to_async(_make_users)(6)
    sockets = {m.pk: await open_socket(access_token(m)) for m in (members[0], members[4])}

    await database_sync_to_async(services.create_broadcast)(sender=staff, **MESSAGE)

    for member in (members[0], members[4], members[2]):
        [row] = await database_sync_to_async(notifications_of)(member)
        [logged] = await database_sync_to_async(eventlog.read_since)(member.pk, "0-0")
        if member.pk in sockets:
            event = await sockets[member.pk].receive()
            assert await sockets[member.pk].comm.receive_nothing(timeout=0.2)
        else:
            back = await open_socket(access_token(member), since="0-0")
            event = await back.receive()
        assert (event["type"], event["id"], event["ts"]) == (
            "notification.new",
            logged.id,
            logged.ts,
        )
        assert event["data"] == json.loads(logged.data_json)
        assert event["data"]["unread_count"] == 1
        notification = event["data"]["notification"]
        assert (notification["id"], notification["kind"]) == (str(row.pk), "system")
        assert (notification["title"], notification["body"]) == (MESSAGE["title"], MESSAGE["body"])


@pytest.mark.requires_redis
def test_a_broadcast_batch_publishes_in_a_few_round_trips_per_chunk(settings, redis_calls):
    notifications_settings(settings, BROADCAST_BATCH_SIZE=50)
    realtime_settings(settings, PUBLISH_CHUNK_SIZE=5)
    staff = make_user(is_staff=True, is_superuser=True)
    members = _make_users(11)
    broadcast = Broadcast.objects.create(**MESSAGE)
    redis_calls.reset()

    services.send_broadcast_batch(broadcast_id=broadcast.pk)

    # 12 recipients in chunks of 5: three appends and three PUBLISHes (one bundle
    # per chunk), instead of 12 of each.
    assert redis_calls.scripts(eventlog._APPEND_SCRIPT) == 3
    layer_calls = {k: n for k, n in redis_calls.counts().items() if k[0] == "async"}
    assert layer_calls == {("async", "PUBLISH"): 3}
    for user in [staff, *members]:
        [event] = eventlog.read_since(user.pk, "0-0")
        assert json.loads(event.data_json)["notification"]["id"] == str(
            notifications_of(user)[0].pk
        )


@pytest.mark.requires_redis
@pytest.mark.on_commit_failures_expected
def test_a_broadcast_chunk_that_cannot_be_published_is_reported_and_the_rest_are_told(
    settings, caplog
):
    realtime_settings(settings, PUBLISH_CHUNK_SIZE=2)
    staff = make_user(is_staff=True, is_superuser=True)
    members = _make_users(5)
    # Not a stream: the chunk holding this user cannot be logged, so is not sent.
    redis_client().set(eventlog._log_key(members[1].pk), "corrupt")

    with caplog.at_level(logging.ERROR):
        services.create_broadcast(sender=staff, **MESSAGE)

    assert Notification.objects.count() == 6
    [error] = [
        r.exc_info[1]
        for r in caplog.records
        if r.exc_info and isinstance(r.exc_info[1], PublishError)
    ]
    recipients = [str(pk) for pk in sorted(u.pk for u in [staff, *members])]
    chunk = recipients.index(str(members[1].pk)) // 2 * 2
    assert error.not_logged == recipients[chunk : chunk + 2]
    assert error.not_sent == []
    for uid in recipients:
        if uid == str(members[1].pk):
            continue  # its log is not readable either
        logged = eventlog.read_since(uid, "0-0")
        if uid in error.not_logged:
            assert logged is None
        else:
            assert [e.type for e in logged] == ["notification.new"]
