"""Deeply nested JSON is malformed input: a 400 `parse_error` over REST, a
`malformed_frame` on the socket, never a RecursionError."""

import json

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from core import json_depth
from realtime import codes
from tests.factories import UserFactory
from tests.sockets import access_token
from tests.sockets import open_socket as open_socket  # the fixture

DEEP = "[" * 50_000 + "]" * 50_000


def nested(depth: int):
    value = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


def test_depth_is_counted_per_container_level():
    assert not json_depth.depth_exceeds("x", 0)
    assert not json_depth.depth_exceeds(nested(3), 3)
    assert json_depth.depth_exceeds(nested(4), 3)
    assert json_depth.depth_exceeds([[], [[[]]]], 3)
    assert not json_depth.depth_exceeds([[], [[]], {"a": [1]}], 3)


def test_the_decoder_refuses_what_would_exhaust_the_stack():
    with pytest.raises(json_depth.TooDeeplyNested):
        json_depth.loads(DEEP, max_depth=32)
    with pytest.raises(ValueError):
        json_depth.loads(json.dumps(nested(33)), max_depth=32)
    assert json_depth.loads(json.dumps(nested(32)), max_depth=32) == nested(32)


def parse_error(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "client_error"
    assert [e["code"] for e in body["errors"]] == ["parse_error"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/auth/login/", "/api/v1/auth/token/refresh/"])
@pytest.mark.parametrize("body", [DEEP, json.dumps({"password": nested(500)})])
def test_anonymous_endpoints_answer_a_deep_body_with_a_parse_error(path, body):
    parse_error(APIClient().post(path, body, content_type="application/json"))


@pytest.mark.django_db
def test_signed_in_endpoints_answer_a_deep_body_with_a_parse_error():
    user = UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
    parse_error(
        client.patch("/api/v1/notifications/preferences/", DEEP, content_type="application/json")
    )
    parse_error(client.post("/api/v1/forum/posts/", DEEP, content_type="application/json"))


@pytest.mark.django_db
def test_a_body_within_the_bound_reaches_validation(settings):
    settings.API_JSON_MAX_DEPTH = 4
    response = APIClient().post(
        "/api/v1/auth/login/",
        json.dumps({"email": "a@example.com", "password": nested(3)}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


@pytest.mark.django_db(transaction=True)
async def test_a_deep_frame_is_malformed_and_the_socket_stays_open(open_socket, settings):
    settings.REALTIME = {**settings.REALTIME, "MAX_FRAME_BYTES": 200_000}
    user = await database_sync_to_async(UserFactory)()
    socket = await open_socket(access_token(user))
    assert socket.connected

    for text in (DEEP, json.dumps({"type": "ping", "ref": "r", "data": nested(40)})):
        await socket.comm.send_to(text_data=text)
        reply = await socket.receive()
        assert reply["type"] == "error"
        assert reply["data"]["errors"][0]["code"] == codes.MALFORMED_FRAME
    await socket.ping()
