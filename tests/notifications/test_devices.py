"""Push devices: register, move, replace, unregister; nobody touches another's."""

import pytest

from notifications.models import Device
from tests.clients import client_for
from tests.factories import make_user
from tests.users.conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/devices/"
MOBILE = "/api/mobile/push-token/"


def register(user, token="tok-1", url=URL, **extra):
    payload = {"platform": "android", "token": token, "app_version": "2.4.1", **extra}
    return client_for(user).post(url, payload, format="json")


@pytest.mark.parametrize("url", [URL, MOBILE, "/api/v1/mobile/push-token/"])
def test_register_then_again_is_idempotent(url):
    user = make_user()

    first = register(user, url=url, device_id="install-1")
    again = register(user, url=url, device_id="install-1", app_version="2.5.0")

    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    device = Device.objects.get()
    assert (device.user_id, device.platform, device.app_version, device.device_id) == (
        user.pk,
        "android",
        "2.5.0",
        "install-1",
    )
    assert set(first.json()) == {
        "id",
        "platform",
        "token",
        "app_version",
        "device_id",
        "is_active",
        "created_at",
        "last_pushed_at",
    }


INSTALL = "5f0c3a9e-2b7d-4e61-9c84-0d1a2b3c4d5e"  # what an app makes once per install


@pytest.mark.parametrize("url", [URL, MOBILE])
@pytest.mark.parametrize(
    "claimed",
    [
        pytest.param({}, id="no-install-id"),
        pytest.param({"device_id": "9d8c7b6a-0000-4e61-9c84-0d1a2b3c4d5e"}, id="another-install"),
        pytest.param({"device_id": INSTALL.upper()}, id="not-the-same-id"),
    ],
)
def test_another_users_token_is_refused_without_proof_of_the_same_install(url, claimed):
    """Issue 24 #9: registering a token someone else has used to move their device
    row (and their pushes) to the caller."""
    alice, mallory = make_user(), make_user()
    register(alice, token="alices-phone", device_id=INSTALL)

    resp = register(mallory, token="alices-phone", url=url, **claimed)

    assert_error(resp, 409, "device_token_taken", attr=None)
    assert "alice" not in resp.content.decode().lower()
    device = Device.objects.get()
    assert (device.user_id, device.device_id, device.is_active) == (alice.pk, INSTALL, True)
    assert client_for(mallory).get(URL).json()["devices"] == []


def test_a_short_install_id_proves_nothing():
    alice, mallory = make_user(), make_user()
    register(alice, token="alices-phone", device_id="install-1")

    resp = register(mallory, token="alices-phone", device_id="install-1")

    assert_error(resp, 409, "device_token_taken", attr=None)
    assert Device.objects.get().user_id == alice.pk


@pytest.mark.parametrize("url", [URL, MOBILE])
def test_another_account_on_the_same_install_takes_the_token_over(url):
    """One phone, Alice signed out without unregistering, Bob signs in: the app
    sends its install id, so the token moves to Bob and Alice's pushes stop there."""
    alice, bob = make_user(), make_user()
    first = register(alice, token="shared-phone", device_id=INSTALL).json()

    resp = register(bob, token="shared-phone", url=url, device_id=INSTALL)

    assert resp.status_code == 200, resp.content
    assert resp.json()["id"] == first["id"]
    assert Device.objects.get().user_id == bob.pk
    assert client_for(alice).get(URL).json()["devices"] == []
    assert [d["token"] for d in client_for(bob).get(URL).json()["devices"]] == ["shared-phone"]


def test_signing_out_unregisters_so_the_next_account_registers_afresh():
    alice, bob = make_user(), make_user()
    register(alice, token="shared-phone")
    assert (
        client_for(alice).delete(MOBILE, {"token": "shared-phone"}, format="json").status_code
        == 204
    )

    resp = register(bob, token="shared-phone")

    assert resp.status_code == 201, resp.content
    assert Device.objects.get().user_id == bob.pk


def test_the_owner_re_registering_without_an_install_id_keeps_it():
    alice, bob = make_user(), make_user()
    register(alice, token="alices-phone", device_id=INSTALL)

    assert register(alice, token="alices-phone").status_code == 200

    assert Device.objects.get().device_id == INSTALL
    assert register(bob, token="alices-phone", device_id=INSTALL).status_code == 200


def test_registering_reactivates_a_dead_token():
    user = make_user()
    register(user, token="t")
    Device.objects.update(is_active=False, deactivation_reason="unregistered")

    register(user, token="t")

    device = Device.objects.get()
    assert device.is_active and device.deactivation_reason == ""


def test_a_new_token_for_the_same_install_replaces_the_old():
    user = make_user()
    register(user, token="old", device_id="install-1")
    register(user, token="other-phone", device_id="install-2")

    register(user, token="new", device_id="install-1")

    assert sorted(Device.objects.values_list("token", flat=True)) == ["new", "other-phone"]


@pytest.mark.parametrize(
    "payload, attr, code",
    [
        ({"platform": "blackberry", "token": "t"}, "platform", "invalid_choice"),
        ({"platform": "ios"}, "token", "required"),
        ({"platform": "ios", "token": "x" * 513}, "token", "max_length"),
    ],
)
def test_register_validates(payload, attr, code):
    resp = client_for(make_user()).post(URL, payload, format="json")
    assert resp.status_code == 400
    assert (resp.json()["errors"][0]["attr"], resp.json()["errors"][0]["code"]) == (attr, code)


def test_unregister_by_id_and_by_token():
    user = make_user()
    device_id = register(user, token="a").json()["id"]
    register(user, token="b")
    api = client_for(user)

    assert api.delete(f"{URL}{device_id}/").status_code == 204
    assert api.delete(MOBILE, {"token": "b"}, format="json").status_code == 204

    assert Device.objects.count() == 0
    assert api.delete(MOBILE, {"token": "b"}, format="json").status_code == 404


def test_another_users_device_answers_404_and_stays():
    owner, intruder = make_user(), make_user()
    device_id = register(owner, token="mine").json()["id"]
    api = client_for(intruder)

    assert api.delete(f"{URL}{device_id}/").status_code == 404
    assert api.delete(MOBILE, {"token": "mine"}, format="json").status_code == 404
    assert api.get(URL).json()["devices"] == []
    assert Device.objects.get().user_id == owner.pk


def test_the_device_list_is_an_envelope_newest_first_in_pages():
    user = make_user()
    for n in range(3):
        register(user, token=f"t{n}")
    api = client_for(user)

    first = api.get(URL, {"page_size": 2}).json()
    second = api.get(first["next_page"]).json()

    assert set(first) == {"devices", "next_page", "previous_page", "next_cursor", "previous_cursor"}
    assert [d["token"] for d in first["devices"] + second["devices"]] == ["t2", "t1", "t0"]
    assert second["next_page"] is None and second["previous_page"] is not None
