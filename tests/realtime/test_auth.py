"""Socket authentication: handshake, origin, token expiry and refresh, suspension."""

import asyncio
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from realtime import codes
from realtime.publish import disconnect_user

from .conftest import access_token, token_expiry

DB = pytest.mark.django_db(transaction=True)


@DB
async def test_valid_token_is_accepted_by_subprotocol_or_query(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    by_subprotocol = await open_socket(access_token(user), via="subprotocol")
    by_query = await open_socket(access_token(user), via="query")
    assert by_subprotocol.connected
    assert by_subprotocol.subprotocol_or_code == "bearer"
    assert by_query.connected
    assert by_query.subprotocol_or_code is None
    await by_subprotocol.ping()
    await by_query.ping()


async def test_no_token_is_refused(open_socket):
    socket = await open_socket(None)
    assert not socket.connected


@pytest.mark.parametrize("via", ["subprotocol", "query"])
async def test_bad_token_is_refused(open_socket, via):
    socket = await open_socket("not.a.jwt", via=via)
    assert not socket.connected


@DB
async def test_expired_tokens_refresh_tokens_and_tokens_of_gone_users_are_refused(
    make_user, open_socket
):
    user = await database_sync_to_async(make_user)()
    inactive = await database_sync_to_async(make_user)(is_active=False)
    deleted = await database_sync_to_async(make_user)()
    deleted_token = access_token(deleted)
    await database_sync_to_async(deleted.delete)()
    refresh = await database_sync_to_async(RefreshToken.for_user)(user)

    for token in (
        access_token(user, lifetime=timedelta(minutes=-1)),
        str(refresh),
        access_token(inactive),
        deleted_token,
    ):
        socket = await open_socket(token)
        assert not socket.connected


@DB
async def test_suspended_user_cannot_connect(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    token = access_token(user)
    user.suspended_until = timezone.now() + timedelta(days=1)
    await database_sync_to_async(user.save)(update_fields=["suspended_until"])
    socket = await open_socket(token)
    assert not socket.connected


@DB
async def test_a_foreign_origin_is_refused_and_a_missing_one_let_in_by_the_token(
    make_user, open_socket, settings, caplog
):
    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    user = await database_sync_to_async(make_user)()
    same_origin = await open_socket(access_token(user))
    web_app = await open_socket(access_token(user), origin=(b"origin", b"https://app.example"))
    native = await open_socket(access_token(user), origin=None)
    foreign = await open_socket(access_token(user), origin=(b"origin", b"https://evil.example"))
    # A host of this server's ALLOWED_HOSTS is not a web origin allowed to use it.
    dev_port = await open_socket(access_token(user), origin=(b"origin", b"http://localhost:5173"))
    native_without_token = await open_socket(None, origin=None)

    assert same_origin.connected and web_app.connected and native.connected
    assert not foreign.connected
    assert not dev_port.connected
    assert not native_without_token.connected
    refusals = [r.code for r in caplog.records if getattr(r, "event", "") == "socket.refused"]
    assert refusals == ["origin_not_allowed", "origin_not_allowed", "no_token"]


@DB
async def test_socket_closes_with_4001_when_token_expires(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user, lifetime=timedelta(seconds=2)))
    assert socket.connected
    assert await socket.receive_close(timeout=6) == codes.CLOSE_TOKEN_EXPIRED


@DB
async def test_auth_refresh_moves_the_expiry_to_the_new_token(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    # Lifetimes with room for a loaded machine: the refresh must reach the socket
    # before the first token runs out.
    first = access_token(user, lifetime=timedelta(seconds=4))
    socket = await open_socket(first)
    reply = await socket.request(
        "auth.refresh", {"token": access_token(user, lifetime=timedelta(seconds=6))}
    )
    assert reply["type"] == "ack"
    assert reply["data"]["expires_at"].endswith("Z")

    # Past the first token's expiry the socket still answers...
    await asyncio.sleep(max(0.0, token_expiry(first) - time.time()) + 0.2)
    await socket.ping()
    # ...and it closes when the new one expires.
    assert await socket.receive_close(timeout=4) == codes.CLOSE_TOKEN_EXPIRED


@DB
async def test_auth_refresh_refuses_bad_and_foreign_tokens(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    other = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))
    for data in (
        {"token": "garbage"},
        {"token": access_token(other)},
        {"token": access_token(user, lifetime=timedelta(minutes=-1))},
    ):
        reply = await socket.request("auth.refresh", data)
        assert reply["type"] == "error"
        assert reply["data"]["errors"][0]["code"] == codes.INVALID_TOKEN
    reply = await socket.request("auth.refresh", {})
    assert reply["data"]["errors"][0]["code"] == codes.INVALID_DATA
    await socket.ping()


@DB
async def test_auth_refresh_by_a_suspended_user_closes_with_4003(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))
    user.suspended_until = timezone.now() + timedelta(hours=1)
    await database_sync_to_async(user.save)(update_fields=["suspended_until"])
    await socket.send("auth.refresh", {"token": access_token(user)})
    assert await socket.receive_close() == codes.CLOSE_DISCONNECTED


@DB
async def test_disconnect_user_closes_every_socket_of_that_user_with_4003(make_user, open_socket):
    user = await database_sync_to_async(make_user)()
    other = await database_sync_to_async(make_user)()
    phone = await open_socket(access_token(user))
    laptop = await open_socket(access_token(user), via="query")
    bystander = await open_socket(access_token(other))
    assert phone.connected and laptop.connected and bystander.connected

    user.suspended_until = timezone.now() + timedelta(days=1)
    await database_sync_to_async(user.save)(update_fields=["suspended_until"])
    await database_sync_to_async(disconnect_user)(user.pk)

    assert await phone.receive_close() == codes.CLOSE_DISCONNECTED
    assert await laptop.receive_close() == codes.CLOSE_DISCONNECTED
    await bystander.ping()
    again = await open_socket(access_token(user))
    assert not again.connected
