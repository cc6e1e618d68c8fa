"""Through daphne and a real socket client: a post with an image and a chat
message with an image arrive live exactly as REST shows them, their URLs
absolute on PUBLIC_ORIGIN and loadable."""

import json
import urllib.request
import uuid

import pytest
from websockets.sync.client import connect

from tests.factories import image_bytes

from .conftest import free_port, running_daphne
from .test_journey import call, register

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]


def upload(base: str, path: str, token: str) -> dict:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + image_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{base}{path}",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.loads(response.read())


def next_of(ws, event_type: str, timeout: float = 5) -> dict:
    while True:
        frame = json.loads(ws.recv(timeout=timeout))
        if frame["type"] == event_type:
            return frame


def loads(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        return response.status


@pytest.fixture
def server(transactional_db, collected_static, tmp_path):
    port = free_port()
    origin = f"http://localhost:{port}"  # not the address the clients use: REST follows it too
    with running_daphne(
        collected_static, tmp_path, env={"PUBLIC_ORIGIN": origin}, port=port
    ) as url:
        yield url, origin


def test_images_in_live_events_are_the_rest_urls(server):
    base, origin = server
    alice, bob = register(base, "alice@example.com"), register(base, "bob@example.com")
    ws_url = base.replace("http://", "ws://") + "/ws/"
    with connect(ws_url, subprotocols=["bearer", bob["access"]], open_timeout=5) as ws:
        ws.send(json.dumps({"type": "subscribe", "ref": "s", "data": {"stream": "forum"}}))
        assert next_of(ws, "ack")["ref"] == "s"

        media = upload(base, "/api/v1/forum/upload/", alice["access"])
        status, post = call(
            base,
            "POST",
            "/api/v1/forum/posts/",
            {"content": "a picture", "media": [media["id"]]},
            alice["access"],
        )
        assert status == 201, post
        event = next_of(ws, "forum.post.new")
        status, shown = call(base, "GET", f"/api/v1/forum/posts/{post['id']}/", token=bob["access"])
        assert event["data"] == shown
        [image] = event["data"]["media"]
        assert image["url"].startswith(f"{origin}/media/")
        assert loads(image["url"]) == 200

        status, conversation = call(
            base,
            "POST",
            "/api/v1/chat/conversations/",
            {"kind": "direct", "participant_ids": [bob["user"]["id"]]},
            alice["access"],
        )
        assert status == 201, conversation
        picture = upload(base, "/api/v1/chat/upload/", alice["access"])
        status, sent = call(
            base,
            "POST",
            f"/api/v1/chat/conversations/{conversation['id']}/messages/",
            {"body": "look", "media_ids": [picture["id"]]},
            alice["access"],
        )
        assert status == 201, sent
        event = next_of(ws, "chat.message.new")
        status, page = call(
            base,
            "GET",
            f"/api/v1/chat/conversations/{conversation['id']}/messages/",
            token=bob["access"],
        )
        assert event["data"] == page["messages"][0] == sent
        [url] = [m["url"] for m in event["data"]["media"]]
        assert url.startswith(f"{origin}/media/") and "signature=" in url
        assert loads(url) == 200
