"""Logout through the real server and a real socket client: that session's
sockets close with 4003, its access token is refused over REST, at the handshake
and by `auth.refresh`, and the user's other device stays connected."""

import pytest
from websockets.exceptions import InvalidStatus

from realtime import codes

from .test_journey import call, register
from .ws_client import closed_with, open_socket, request

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]


def login(base: str, email: str) -> dict:
    status, body = call(
        base, "POST", "/api/v1/auth/login/", {"email": email, "password": "a-long-pass-phrase"}
    )
    assert status == 200, body
    return body


def test_logout_closes_that_sessions_sockets_and_refuses_its_token(daphne_server):
    base = daphne_server
    register(base, "sam@example.com")
    phone, laptop = login(base, "sam@example.com"), login(base, "sam@example.com")

    with (
        open_socket(base, phone["access"]) as phone_ws,
        open_socket(base, laptop["access"]) as laptop_ws,
    ):
        assert request(phone_ws, "ping", {}, "p")["type"] == "ack"
        status, body = call(
            base, "POST", "/api/v1/auth/logout/", {"refresh": phone["refresh"]}, phone["access"]
        )
        assert status == 200, body

        assert closed_with(phone_ws) == codes.CLOSE_DISCONNECTED
        # The other device is untouched and still answered.
        assert request(laptop_ws, "ping", {}, "l")["type"] == "ack"
        # The signed-out token cannot be brought in by auth.refresh either.
        refused = request(laptop_ws, "auth.refresh", {"token": phone["access"]}, "r")
        assert refused["type"] == "error"
        assert refused["data"]["errors"][0]["code"] == "invalid_token"
        assert request(laptop_ws, "ping", {}, "l2")["type"] == "ack"

    status, body = call(base, "GET", "/api/v1/users/me/", token=phone["access"])
    assert status == 401, body
    assert body["errors"][0]["code"] == "token_not_valid"
    with pytest.raises(InvalidStatus) as refused_handshake:
        open_socket(base, phone["access"])
    assert refused_handshake.value.response.status_code == 403
    status, _ = call(base, "GET", "/api/v1/users/me/", token=laptop["access"])
    assert status == 200
