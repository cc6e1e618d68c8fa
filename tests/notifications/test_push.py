"""Push through FCM HTTP v1 against a fake FCM server: payloads, presence, retries, dead tokens."""

import json
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import jwt
import pytest
from celery.signals import task_retry
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from notifications.models import Device, Kind, Notification
from notifications.services import notify
from notifications.services.preferences import update_preferences
from notifications.tasks import send_push
from realtime import presence
from tests.factories import make_user

from .conftest import fcm_error, notifications_of, notifications_settings

pytestmark = pytest.mark.django_db(transaction=True)


def device_for(user, token, platform="android"):
    return Device.objects.create(user=user, platform=platform, token=token)


def comment_notification(recipient, actor=None):
    actor = actor or make_user("pushy")
    notify(
        recipient_id=recipient.pk,
        kind=Kind.COMMENT_ON_POST,
        actor_id=actor.pk,
        data={"excerpt": "Nice one"},
    )


def test_an_offline_user_gets_a_push_on_every_device(fake_fcm):
    user = make_user()
    device_for(user, "android-token", "android")
    device_for(user, "ios-token", "ios")

    comment_notification(user)

    [n] = notifications_of(user)
    assert sorted(fake_fcm.tokens_sent()) == ["android-token", "ios-token"]
    for send in fake_fcm.sends:
        assert send["path"] == "/v1/projects/demo/messages:send"
        assert send["authorization"] == "Bearer static-test-token"
        message = send["message"]
        assert message["notification"] == {
            "title": "pushy commented on your post",
            "body": "Nice one",
        }
        assert message["data"] == {
            "kind": "comment_on_post",
            "notification_id": str(n.pk),
            "target_type": "",
            "target_id": "",
        }
    android = next(s["message"] for s in fake_fcm.sends if s["message"]["token"] == "android-token")
    assert android["android"] == {"priority": "high"}
    assert Device.objects.filter(last_pushed_at__isnull=False).count() == 2


def test_an_online_user_gets_no_push_unless_the_kind_asks(fake_fcm):
    user = make_user()
    device_for(user, "tok")
    presence.mark_online(user.pk, "specific.test-channel")

    comment_notification(user)
    assert fake_fcm.sends == []

    notify(recipient_id=user.pk, kind=Kind.SYSTEM, data={"title": "Hi", "body": "all"})
    assert [s["message"]["notification"]["title"] for s in fake_fcm.sends] == ["Hi"]


def test_push_preference_is_honoured_per_kind(fake_fcm):
    user = make_user()
    device_for(user, "tok")
    update_preferences(user=user, kinds={"comment_on_post": {"push": False}})

    comment_notification(user)
    notify(recipient_id=user.pk, kind=Kind.NEW_FOLLOWER, actor_id=make_user().pk)

    assert len(notifications_of(user)) == 2
    [send] = fake_fcm.sends
    assert send["message"]["data"]["kind"] == "new_follower"


def test_push_without_in_app_stores_no_row(fake_fcm):
    user = make_user()
    device_for(user, "tok")
    update_preferences(user=user, kinds={"comment_on_post": {"in_app": False}})

    comment_notification(user)

    assert Notification.objects.count() == 0
    [send] = fake_fcm.sends
    assert send["message"]["data"]["notification_id"] == ""


def test_nothing_is_pushed_to_inactive_devices(fake_fcm):
    user = make_user()
    Device.objects.create(user=user, platform="ios", token="dead", is_active=False)

    comment_notification(user)

    assert fake_fcm.sends == []


@pytest.mark.parametrize(
    "answer, reason",
    [
        (fcm_error(404, "NOT_FOUND", "UNREGISTERED"), "unregistered"),
        (fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"), "invalid_argument"),
        (fcm_error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"), "sender_id_mismatch"),
    ],
)
def test_a_token_fcm_calls_dead_is_deactivated(fake_fcm, answer, reason):
    user = make_user()
    device_for(user, "dead-token")
    device_for(user, "good-token")
    fake_fcm.script("dead-token", answer)

    comment_notification(user)

    dead, good = Device.objects.get(token="dead-token"), Device.objects.get(token="good-token")
    assert (dead.is_active, dead.deactivation_reason) == (False, reason)
    assert dead.deactivated_at is not None
    assert good.is_active and good.last_pushed_at is not None
    # Never tried again.
    comment_notification(user, make_user())
    assert fake_fcm.tokens_sent().count("dead-token") == 1


def test_server_errors_and_throttling_are_retried(fake_fcm):
    user = make_user()
    device = device_for(user, "flaky")
    fake_fcm.script("flaky", fcm_error(503, "UNAVAILABLE"), fcm_error(429, "QUOTA_EXCEEDED"))

    comment_notification(user)

    assert fake_fcm.tokens_sent() == ["flaky"] * 3
    device.refresh_from_db()
    assert device.is_active and device.last_pushed_at is not None


def test_retries_stop_after_the_limit_and_keep_the_device(fake_fcm, caplog):
    user = make_user()
    device = device_for(user, "down")
    attempts = send_push.max_retries + 1
    fake_fcm.script("down", *[fcm_error(500, "INTERNAL")] * (attempts + 2))

    with caplog.at_level(logging.ERROR):
        comment_notification(user)

    assert fake_fcm.tokens_sent() == ["down"] * attempts
    device.refresh_from_db()
    assert device.is_active and device.last_pushed_at is None
    # The notification itself is stored whatever push does.
    assert len(notifications_of(user)) == 1


# --- Retry-After -------------------------------------------------------------------


@pytest.fixture
def retry_waits():
    """Seconds each send_push retry was scheduled after, as Celery's task_retry reports."""
    waits = []

    def record(sender=None, reason=None, **_):
        if sender.name == send_push.name:
            waits.append(reason.when)

    task_retry.connect(record, weak=False)
    yield waits
    task_retry.disconnect(record)


def http_date(seconds_from_now: int) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize("status, code", [(429, "QUOTA_EXCEEDED"), (503, "UNAVAILABLE")])
def test_a_retry_waits_the_seconds_fcm_asks_for(fake_fcm, retry_waits, status, code):
    user = make_user()
    device = device_for(user, "busy")
    fake_fcm.script("busy", fcm_error(status, code, retry_after="7"))

    comment_notification(user)

    assert retry_waits == [7]
    assert fake_fcm.tokens_sent() == ["busy"] * 2
    device.refresh_from_db()
    assert device.last_pushed_at is not None


def test_a_retry_waits_until_the_http_date_fcm_gives(fake_fcm, retry_waits):
    user = make_user()
    device_for(user, "busy")
    fake_fcm.script("busy", fcm_error(503, "UNAVAILABLE", retry_after=http_date(120)))

    comment_notification(user)

    [wait] = retry_waits
    # The date has whole seconds and a moment passes before it is read.
    assert 117 <= wait <= 120
    assert fake_fcm.tokens_sent() == ["busy"] * 2


def test_without_retry_after_retries_keep_the_exponential_backoff(fake_fcm, retry_waits, settings):
    notifications_settings(settings, PUSH_RETRY_BACKOFF_SECONDS=2, PUSH_RETRY_AFTER_MAX_SECONDS=600)
    user = make_user()
    device_for(user, "flaky")
    fake_fcm.script(
        "flaky",
        fcm_error(429, "QUOTA_EXCEEDED"),
        fcm_error(503, "UNAVAILABLE"),
        fcm_error(500, "INTERNAL", retry_after="300"),  # only 429 and 503 carry it
        fcm_error(503, "UNAVAILABLE", retry_after="soon"),  # unreadable: ignored
    )

    comment_notification(user)

    assert fake_fcm.tokens_sent() == ["flaky"] * 5
    assert len(retry_waits) == 4
    # Full jitter: anywhere from 0 to 2 * 2**n seconds before retry n + 1.
    for n, wait in enumerate(retry_waits):
        assert 0 <= wait <= 2 * 2**n


@pytest.mark.parametrize("retry_after", ["3600", http_date(3600)], ids=["seconds", "http-date"])
def test_a_retry_after_beyond_the_cap_waits_the_cap(fake_fcm, retry_waits, settings, retry_after):
    notifications_settings(settings, PUSH_RETRY_AFTER_MAX_SECONDS=30)
    user = make_user()
    device_for(user, "busy")
    fake_fcm.script("busy", fcm_error(429, "QUOTA_EXCEEDED", retry_after=retry_after))

    comment_notification(user)

    assert retry_waits == [30]
    assert fake_fcm.tokens_sent() == ["busy"] * 2


def test_other_refusals_are_not_retried_and_keep_the_device(fake_fcm):
    user = make_user()
    device = device_for(user, "odd")
    fake_fcm.script("odd", fcm_error(403, "PERMISSION_DENIED", "THIRD_PARTY_AUTH_ERROR"))

    comment_notification(user)

    assert fake_fcm.tokens_sent() == ["odd"]
    device.refresh_from_db()
    assert device.is_active


def test_service_account_token_is_minted_once_and_used(fake_fcm, settings, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    account = {
        "type": "service_account",
        "project_id": "from-file",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "push@from-file.iam.gserviceaccount.com",
        "token_uri": f"{fake_fcm.url}/token",
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(account))
    notifications_settings(
        settings, FCM_ACCESS_TOKEN="", FCM_PROJECT_ID="", FCM_SERVICE_ACCOUNT_FILE=str(path)
    )
    user = make_user()
    device_for(user, "tok")

    comment_notification(user)
    comment_notification(user, make_user())

    [token_request] = fake_fcm.token_requests
    assert token_request["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    claims = jwt.decode(
        token_request["assertion"],
        key.public_key(),
        algorithms=["RS256"],
        audience=account["token_uri"],
    )
    assert claims["iss"] == account["client_email"]
    assert claims["scope"] == "https://www.googleapis.com/auth/firebase.messaging"
    assert [s["authorization"] for s in fake_fcm.sends] == ["Bearer minted-token"] * 2
    assert {s["path"] for s in fake_fcm.sends} == {"/v1/projects/from-file/messages:send"}


def test_the_default_backend_only_logs(caplog):
    user = make_user()
    device = device_for(user, "abcdef123456")

    with caplog.at_level(logging.INFO, logger="notifications.push"):
        comment_notification(user)

    assert "pushy commented on your post" in caplog.text
    assert "123456" in caplog.text
    device.refresh_from_db()
    assert device.last_pushed_at is not None
