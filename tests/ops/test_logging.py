"""JSON access logs, socket logs, and no secret in any log line."""

import json
import logging

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from core.logging import JsonFormatter, TextFormatter, redact
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.sockets import access_token

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1"


def test_one_json_line_per_request_with_the_fields(logs):
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)

    response = client.get(f"{API}/forum/posts/", headers={"X-Request-ID": "trace-obs-1"})

    assert response.status_code == 200
    [line] = logs.lines(event="http.request")
    assert line["request_id"] == "trace-obs-1"
    assert line["user_id"] == str(user.pk)
    assert line["route"] == "/api/v1/forum/posts/"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["db_queries"] >= 1
    assert line["level"] == "INFO" and line["logger"] == "core.access"


def test_the_route_is_the_pattern_not_the_path_nor_the_query(logs):
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)

    client.get(f"{API}/users/{user.pk}/?token=should-not-appear")

    [line] = logs.lines(event="http.request")
    assert line["route"] == "/api/v1/users/<uuid:pk>/"
    assert str(user.pk) not in line["route"]
    assert "should-not-appear" not in logs.text


def test_anonymous_and_unrouted_requests_are_logged_too(logs):
    APIClient().get(f"{API}/nope/")

    [line] = logs.lines(event="http.request")
    assert line["status"] == 404
    assert line["user_id"] is None
    assert line["route"] is None


def test_the_query_count_is_the_requests_own(logs, django_assert_max_num_queries):
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    client.get(f"{API}/forum/posts/")  # warm caches
    logs.stream.truncate(0)
    logs.stream.seek(0)

    with django_assert_max_num_queries(50) as captured:
        client.get(f"{API}/forum/posts/")

    [line] = logs.lines(event="http.request")
    assert line["db_queries"] == len(captured.captured_queries)


def _login_refresh_and_sockets(open_socket):
    """Login (right and wrong password), refresh, and sockets with ?token=: every
    path where a secret passes through the server."""
    user = UserFactory(email="secret-owner@example.com")
    anon = APIClient()
    bad = anon.post(f"{API}/auth/login/", {"email": user.email, "password": "wrong-pass-123"})
    assert bad.status_code == 400
    login = anon.post(f"{API}/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert login.status_code == 200, login.content
    access, refresh = login.json()["access"], login.json()["refresh"]
    refreshed = anon.post(f"{API}/auth/token/refresh/", {"refresh": refresh})
    assert refreshed.status_code == 200
    return user, [DEFAULT_PASSWORD, "wrong-pass-123", access, refresh, *refreshed.json().values()]


async def test_no_token_or_password_in_any_log_line(logs, open_socket):
    from asgiref.sync import sync_to_async

    user, secrets = await sync_to_async(_login_refresh_and_sockets)(open_socket)
    access = secrets[2]
    socket = await open_socket(access, via="query")
    assert socket.connected
    await socket.send("no.such.type")
    reply = await socket.receive()
    assert reply["type"] == "error"
    refused = await open_socket(access + "tampered", via="query")
    assert not refused.connected
    await socket.comm.disconnect()

    text = logs.text
    # The paths above did log: the check is not vacuous.
    assert logs.lines(event="http.request", route="/api/v1/auth/login/")
    assert logs.lines(event="http.request", route="/api/v1/auth/token/refresh/")
    assert logs.lines(event="socket.connect", user_id=str(user.pk))
    assert logs.lines(event="socket.refused", code="invalid_token")
    for secret in secrets:
        assert secret not in text
        # Nor any of a JWT's three parts (a header alone is common to all tokens).
        for part in secret.split(".")[1:]:
            if len(part) > 8:
                assert part not in text
    assert "token=" not in text.replace("token=[redacted]", "")


async def test_socket_connect_frame_errors_and_disconnect_are_logged(logs, open_socket, make_user):
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user), via="query")
    await socket.comm.send_to(text_data="not json")
    assert (await socket.receive())["data"]["errors"][0]["code"] == "malformed_frame"
    await socket.comm.disconnect(code=1000)

    [connect] = logs.lines(event="socket.connect")
    [error] = logs.lines(event="socket.frame_error")
    [disconnect] = logs.lines(event="socket.disconnect")
    for line in (connect, error, disconnect):
        assert line["user_id"] == str(user.pk)
        assert line["route"] == "/ws/"
        assert line["request_id"] == connect["request_id"] != "-"
    assert connect["status"] == 101
    assert error["code"] == "malformed_frame"
    assert disconnect["status"] == 1000
    assert disconnect["duration_ms"] >= 0


@pytest.mark.parametrize(
    "line",
    [
        "GET /ws/?token=eyJabc.def&since=1",
        "Authorization: Bearer abcdefghijklmnop",
        '{"email": "a@b.c", "password": "hunter2-secret"}',
        "refresh=abc123def456",
        "new_password1='pa ss'",
        "token eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJl",
    ],
)
def test_redaction_of_what_may_reach_a_log_by_mistake(line):
    for secret in (
        "eyJabc",
        "abcdefghijklmnop",
        "hunter2",
        "abc123def456",
        "pa ss",
        "c2lnbmF0dXJl",
    ):
        assert secret not in redact(line)


def test_both_formatters_redact():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "url %s", ("/ws/?token=eyJsecret.part",), None
    )
    record.request_id = "-"
    assert "eyJsecret" not in TextFormatter("%(message)s").format(record)
    entry = json.loads(JsonFormatter().format(record))
    assert "eyJsecret" not in entry["message"]
