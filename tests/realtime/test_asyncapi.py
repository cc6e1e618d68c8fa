"""The socket's catalogue as an AsyncAPI 3 document (`GET /api/asyncapi/`)."""

import pytest
from django.test import Client

from realtime import catalogue
from realtime.asyncapi import REF_PREFIX, build_document, load_declarations
from realtime.publish import publish_to_users
from tests import event_contract


@pytest.fixture(scope="module")
def document():
    return build_document()


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document, pointer: str):
    assert pointer.startswith("#/"), pointer
    node = document
    for part in pointer[2:].split("/"):
        assert part in node, f"{pointer} does not resolve ({part!r} missing)"
        node = node[part]
    return node


def test_the_document_is_asyncapi_3_with_the_socket_channel(document):
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] and document["info"]["version"]
    server = document["servers"]["gateway"]
    assert server["pathname"] == "/ws/" and server["protocol"] in {"ws", "wss"}
    assert document["channels"]["socket"]["address"] == "/ws/"
    operations = document["operations"]
    assert operations["sendToClient"]["action"] == "send"
    assert operations["receiveFromClient"]["action"] == "receive"


def test_every_declared_frame_has_a_message_with_its_envelope(document):
    load_declarations()
    messages = document["components"]["messages"]
    expected = {
        "forum.post.new", "forum.post.liked", "forum.comment.new", "forum.comment.liked",
        "chat.message.new", "chat.message.updated", "chat.message.deleted",
        "chat.message.read", "chat.conversation.updated", "chat.typing",
        "presence.user.join", "presence.user.leave", "notification.new",
        "notification.read", "notification.deleted", "commerce.order.updated",
        "ack", "error", "resync.required", "stream.ended",
    }  # fmt: skip
    assert expected <= set(catalogue.EVENTS)
    assert {
        "ping", "subscribe", "unsubscribe", "auth.refresh",
        "chat.message.sent", "chat.message.read", "chat.typing",
    } <= set(catalogue.CLIENT_FRAMES)  # fmt: skip
    for name in catalogue.EVENTS:
        payload = messages[name]["payload"]
        assert payload["properties"]["type"] == {"type": "string", "const": name}
        assert payload["properties"]["data"]["$ref"].startswith(REF_PREFIX)
    for name in catalogue.CLIENT_FRAMES:
        assert messages[f"client.{name}"]["payload"]["properties"]["type"]["const"] == name
    sent = {m["$ref"] for m in document["operations"]["sendToClient"]["messages"]}
    assert sent == {f"#/channels/socket/messages/{name}" for name in catalogue.EVENTS}


def test_every_ref_resolves_and_no_openapi_nullable_is_left(document):
    refs = set(_refs(document))
    assert refs
    for pointer in refs:
        _resolve(document, pointer)
    assert '"nullable"' not in str(document).replace("'", '"')


def test_schemas_are_the_openapi_components(document):
    schemas = document["components"]["schemas"]
    # REST's own components, copied with what they refer to.
    for name in ("Post", "Message", "Order", "Notification", "UserSummary", "PostLikeCount"):
        assert name in schemas
    post_new = document["components"]["messages"]["forum.post.new"]["payload"]
    assert post_new["properties"]["data"] == {"$ref": REF_PREFIX + "Post"}


@pytest.mark.django_db
def test_served_publicly_as_json_and_not_in_the_openapi_document():
    response = Client().get("/api/asyncapi/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["asyncapi"] == "3.0.0"
    openapi = Client().get("/api/schema/?format=json").json()
    assert not any("asyncapi" in path for path in openapi["paths"])


def test_the_recorder_refuses_an_undeclared_type_and_a_wrong_payload():
    assert "undeclared type" in event_contract.check("forum.post.shared", {}, what="frame")
    problem = event_contract.check(
        "forum.post.liked",
        {"post_id": "not-a-uuid"},
        pointer_suffix="/properties/data",
        what="event",
    )
    assert problem and "like_count" in problem
    ok = {"post_id": "5a0b6a0e-4bd8-4a53-9a4f-07d1f9a9d1a4", "like_count": 1}
    assert (
        event_contract.check(
            "forum.post.liked", ok, pointer_suffix="/properties/data", what="event"
        )
        is None
    )


@pytest.mark.django_db
def test_the_recorder_sees_what_is_published():
    event_contract._take()
    publish_to_users(["5a0b6a0e-4bd8-4a53-9a4f-07d1f9a9d1a4"], "forum.post.shared", {"x": 1})
    publish_to_users(["5a0b6a0e-4bd8-4a53-9a4f-07d1f9a9d1a4"], "test.anything", {"x": 1})
    problems = event_contract._take()
    assert len(problems) == 1 and "'forum.post.shared'" in problems[0]
