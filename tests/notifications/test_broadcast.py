"""System broadcasts: staff only, batched in tasks, preferences honoured, nothing twice."""

import pytest

from notifications import services
from notifications.models import Broadcast, Device, Kind, Notification
from notifications.services import update_preferences

from .conftest import client_for, make_user, notifications_of, notifications_settings

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/notifications/broadcasts/"
MESSAGE = {"title": "Maintenance tonight", "body": "Down 02:00-02:30 UTC."}


def test_staff_broadcast_reaches_every_active_user_in_batches(settings):
    notifications_settings(settings, BROADCAST_BATCH_SIZE=3)
    staff = make_user(is_staff=True)
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
        assert (n.kind, n.actor_id, n.target_type, n.target_id) == (
            Kind.SYSTEM,
            None,
            "notifications.broadcast",
            str(broadcast.pk),
        )
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
    resp = client_for(make_user(is_staff=True)).post(URL, {"title": ""}, format="json")
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
    staff = make_user(is_staff=True)
    for _ in range(3):
        make_user()

    services.create_broadcast(sender=staff, **MESSAGE)

    assert Notification.objects.count() == 4
    assert Broadcast.objects.get().status == Broadcast.Status.DONE


def test_users_who_joined_after_the_broadcast_are_not_included(settings):
    staff = make_user(is_staff=True)
    broadcast = Broadcast.objects.create(**MESSAGE)
    make_user()

    services.send_broadcast_batch(broadcast_id=broadcast.pk)

    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [staff.pk]


def test_broadcast_honours_preferences(fake_fcm, mailoutbox):
    staff = make_user(is_staff=True)
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
