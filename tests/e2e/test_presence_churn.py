"""Presence ends with the connection: a client that opens and closes its socket in
a quick loop (React StrictMode mounts effects twice; a flaky network), closing
some before the server answered the handshake, is offline as soon as the server
has handled the closes, not when the presence TTL runs out."""

import base64
import os
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from chat import presence as chat_presence
from realtime import presence
from tests.factories import direct_conversation

from .conftest import running_daphne
from .test_journey import call
from .ws_client import open_socket

pytestmark = [pytest.mark.e2e, pytest.mark.requires_postgres, pytest.mark.requires_redis]

CYCLES = 100
# Far beyond the test's deadline: a presence left behind cannot expire meanwhile.
TTL_SECONDS = 600
DEADLINE_SECONDS = 20


@pytest.fixture
def server(transactional_db, collected_static, tmp_path):
    env = {"WS_PRESENCE_TTL_SECONDS": str(TTL_SECONDS)}
    with running_daphne(collected_static, tmp_path, env=env) as url:
        yield url
    # Sockets ending in every way raised nothing in the server: a closing socket's
    # channel once received the layer's "unsubscribe" reply (an int) as a message.
    log = (tmp_path / "daphne.log").read_text(errors="replace")
    assert "Exception inside application" not in log
    assert "TypeError" not in log


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.02)


def _abandoned_handshake(base: str, token: str) -> None:
    """The upgrade request sent, the connection dropped before any answer (a
    browser's `ws.close()` while CONNECTING)."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as raw:
        key = base64.b64encode(os.urandom(16)).decode()
        raw.sendall(
            (
                "GET /ws/ HTTP/1.1\r\n"
                f"Host: {parts.netloc}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: bearer, {token}\r\n"
                f"Origin: {base}\r\n\r\n"
            ).encode()
        )


def _opened_then_closed(base: str, token: str) -> None:
    with open_socket(base, token):
        pass


def _opened_then_dropped(base: str, token: str) -> None:
    """Open, then the TCP connection cut without a close frame."""
    ws = open_socket(base, token)
    # shutdown, not close: the client's reader thread holds the socket open.
    ws.socket.shutdown(socket.SHUT_RDWR)
    ws.close_socket()


def _churn(base: str, token: str, cycles: int) -> None:
    kinds = (_abandoned_handshake, _opened_then_closed, _opened_then_dropped)
    for n in range(cycles):
        kinds[n % len(kinds)](base, token)


def test_a_quick_open_close_loop_leaves_the_user_offline(server, django_user_model):
    make = django_user_model.objects.create_user
    alice = make(email="alice-churn@example.com", password="pw-123456789", username="alicechurn")
    bob = make(email="bob-churn@example.com", password="pw-123456789", username="bobchurn")
    direct = direct_conversation(alice, bob)
    token = str(AccessToken.for_user(alice))
    bobs = str(AccessToken.for_user(bob))

    def alice_online_by_rest() -> bool:
        status, body = call(server, "GET", f"/api/v1/chat/conversations/{direct.pk}/", token=bobs)
        assert status == 200, body
        (shown,) = [p for p in body["participants"] if p["id"] == str(alice.pk)]
        return shown["online"]

    # She is seen online while a socket is open, so the checks below can see her.
    with open_socket(server, token):
        wait_until(lambda: presence.is_online(alice.pk), 10, "online with a socket open")
        assert alice_online_by_rest()

    # Two loops at once, as two tabs would: their opens and closes interleave.
    loops = [threading.Thread(target=_churn, args=(server, token, CYCLES // 2)) for _ in range(2)]
    for loop in loops:
        loop.start()
    for loop in loops:
        loop.join()

    wait_until(
        lambda: not presence.is_online(alice.pk),
        DEADLINE_SECONDS,
        "offline once every socket of the loop is closed",
    )
    assert not alice_online_by_rest()
    wait_until(
        lambda: str(alice.pk) not in chat_presence.announced(),
        DEADLINE_SECONDS,
        "her leave told (no longer announced online)",
    )
