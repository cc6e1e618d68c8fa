"""The socket's Origin rule through the real server with a real client: native
clients (no Origin) get in with a valid token, by subprotocol or `?token=`; a
browser page gets in from a configured web origin or the server's own; any other
Origin is refused, whatever ALLOWED_HOSTS says; every refusal is logged."""

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from .conftest import running_daphne
from .test_journey import register
from .ws_client import request, ws_url

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres]

WEB_APP = "https://app.example"


@pytest.fixture
def server(transactional_db, collected_static, tmp_path):
    env = {"CORS_ALLOWED_ORIGINS": WEB_APP, "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    with running_daphne(collected_static, tmp_path, "origin", env=env) as base:
        yield base, tmp_path / "origin.log"


def opens(url: str, **kwargs) -> bool:
    try:
        with connect(url, open_timeout=5, **kwargs) as ws:
            return request(ws, "ping", {}, "p")["type"] == "ack"
    except InvalidStatus as exc:
        assert exc.response.status_code == 403
        return False


def test_native_clients_get_in_by_token_and_foreign_origins_are_refused(server):
    base, log = server
    token = register(base, "native@example.com")["access"]
    bearer = {"subprotocols": ["bearer", token]}

    assert opens(ws_url(base), **bearer)  # no Origin header at all
    assert opens(ws_url(base, f"token={token}"))
    assert opens(ws_url(base), origin=WEB_APP, **bearer)
    assert opens(ws_url(base), origin=base, **bearer)  # the server's own pages

    assert not opens(ws_url(base), origin="https://evil.example", **bearer)
    port = base.rsplit(":", 1)[1]
    # Hosts this server answers to (ALLOWED_HOSTS) are not web origins allowed to use it.
    assert not opens(ws_url(base), origin="http://localhost:5173", **bearer)
    assert not opens(ws_url(base), origin=f"http://localhost:{port}", **bearer)
    assert not opens(ws_url(base))  # no Origin and no token

    refused = [
        entry["code"]
        for entry in map(json.loads, filter(lambda line: line.startswith("{"), log.open()))
        if entry.get("event") == "socket.refused"
    ]
    assert refused == ["origin_not_allowed"] * 3 + ["no_token"]
