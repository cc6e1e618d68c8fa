"""Push tokens through the real server (issue 24 #9): another account cannot take
a token over without its install id; the same phone's next account can."""

import pytest

from .test_journey import call

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]

INSTALL = "5f0c3a9e-2b7d-4e61-9c84-0d1a2b3c4d5e"
TOKEN = "fcm-token-of-alices-phone"


def access_token(base: str, email: str) -> str:
    body = {"email": email, "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"}
    status, answer = call(base, "POST", "/api/v1/auth/registration/", body)
    assert status == 201, answer
    return answer["access"]


def push_token(base: str, access: str, **extra) -> tuple[int, dict]:
    body = {"platform": "android", "token": TOKEN, **extra}
    return call(base, "POST", "/api/mobile/push-token/", body, access)


def devices(base: str, access: str) -> list[str]:
    status, body = call(base, "GET", "/api/v1/notifications/devices/", token=access)
    assert status == 200, body
    return [d["token"] for d in body["devices"]]


def test_a_token_is_not_taken_over_but_moves_with_its_install(daphne_server):
    alice = access_token(daphne_server, "alice@x.test")
    mallory = access_token(daphne_server, "mallory@x.test")
    bob = access_token(daphne_server, "bob@x.test")
    assert push_token(daphne_server, alice, device_id=INSTALL)[0] == 201

    for claimed in ({}, {"device_id": "an-install-id-mallory-made-up"}):
        status, body = push_token(daphne_server, mallory, **claimed)
        assert status == 409, body
        assert [e["code"] for e in body["errors"]] == ["device_token_taken"]
    assert devices(daphne_server, alice) == [TOKEN]
    assert devices(daphne_server, mallory) == []

    # Bob signs in on Alice's phone: the app sends its install id.
    status, body = push_token(daphne_server, bob, device_id=INSTALL)
    assert status == 200, body
    assert devices(daphne_server, bob) == [TOKEN]
    assert devices(daphne_server, alice) == []

    # Bob signs out and unregisters; Alice signs in again on the phone.
    status, _ = call(daphne_server, "DELETE", "/api/mobile/push-token/", {"token": TOKEN}, bob)
    assert status == 204
    assert push_token(daphne_server, alice)[0] == 201
    assert devices(daphne_server, alice) == [TOKEN]
