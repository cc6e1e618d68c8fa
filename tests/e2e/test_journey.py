"""A user's path through the real server: HTTP and the socket on one daphne."""

import json
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]


def call(base: str, method: str, path: str, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{base}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def register(base: str, email: str) -> dict:
    status, body = call(
        base,
        "POST",
        "/api/v1/auth/registration/",
        {"email": email, "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    assert status == 201, body
    return body


def open_socket(base: str, token: str):
    ws_url = base.replace("http://", "ws://") + "/ws/"
    return connect(ws_url, subprotocols=["bearer", token], origin=base, open_timeout=5)


def frame(ws, timeout=5) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def test_register_post_and_see_a_like_arrive_live(daphne_server):
    alice = register(daphne_server, "Alice@Example.com")
    bob = register(daphne_server, "bob@example.com")
    assert alice["user"]["email"] == "alice@example.com"

    status, post = call(
        daphne_server, "POST", "/api/forum/posts/", {"content": "hello"}, alice["access"]
    )
    assert status == 201, post

    with open_socket(daphne_server, alice["access"]) as ws:
        assert ws.subprotocol == "bearer"
        ws.send(
            json.dumps({"type": "subscribe", "ref": "s1", "data": {"stream": f"post:{post['id']}"}})
        )
        assert frame(ws) == {"type": "ack", "ref": "s1", "data": {"stream": f"post:{post['id']}"}}

        status, like = call(
            daphne_server, "POST", f"/api/forum/posts/{post['id']}/like/", token=bob["access"]
        )
        assert (status, like) == (
            200,
            {"post_id": post["id"], "is_liked": True, "like_count": 1},
        )
        event = frame(ws)
        assert event["type"] == "forum.post.liked"
        # REST's like state less the caller's own is_liked.
        assert event["data"] == {"post_id": post["id"], "like_count": 1}


def test_socket_without_a_valid_token_is_refused(daphne_server):
    ws_url = daphne_server.replace("http://", "ws://") + "/ws/"
    for kwargs in ({}, {"subprotocols": ["bearer", "not-a-jwt"]}):
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url, origin=daphne_server, open_timeout=5, **kwargs)
        assert refused.value.response.status_code == 403
