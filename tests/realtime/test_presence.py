"""Presence: transitions reported to listeners, and keys that expire by themselves."""

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from realtime import presence

from .conftest import access_token, realtime_settings

DB = pytest.mark.django_db(transaction=True)


@pytest.fixture
def transitions():
    seen = []

    def listener(user_id, online):
        seen.append((user_id, online))

    presence.register_presence_listener(listener)
    yield seen
    presence.unregister_presence_listener(listener)


@DB
async def test_first_socket_joins_and_last_socket_leaves(make_user, open_socket, transitions):
    user = await database_sync_to_async(make_user)()
    other = await database_sync_to_async(make_user)()
    assert not await sync_to_async(presence.is_online)(user.pk)

    phone = await open_socket(access_token(user))
    await phone.ping()  # the connect, and its presence report, are done
    assert transitions == [(user.pk, True)]
    laptop = await open_socket(access_token(user))
    await laptop.ping()
    assert transitions == [(user.pk, True)]
    assert await sync_to_async(presence.online_users)([user.pk, other.pk]) == {user.pk}

    await phone.comm.disconnect()
    assert transitions == [(user.pk, True)]
    assert await sync_to_async(presence.is_online)(user.pk)

    await laptop.comm.disconnect()
    assert transitions == [(user.pk, True), (user.pk, False)]
    assert not await sync_to_async(presence.is_online)(user.pk)


@DB
async def test_presence_expires_without_heartbeats_and_a_ping_restores_it(
    settings, make_user, open_socket, transitions
):
    realtime_settings(settings, PRESENCE_TTL_SECONDS=1)
    user = await database_sync_to_async(make_user)()
    socket = await open_socket(access_token(user))
    await socket.ping()
    assert await sync_to_async(presence.is_online)(user.pk)

    # The socket stays open but silent, as if its server had died.
    await asyncio.sleep(1.3)
    assert not await sync_to_async(presence.is_online)(user.pk)

    await socket.ping()
    assert await sync_to_async(presence.is_online)(user.pk)
    assert transitions == [(user.pk, True), (user.pk, True)]


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.requires_redis), "memory"])
def store(request, settings):
    if request.param == "memory":
        settings.REDIS_URL = ""
    return request.param


def test_store_counts_sockets_per_user_and_reports_transitions(store):
    u1, u2 = str(uuid.uuid4()), str(uuid.uuid4())
    assert presence.mark_online(u1, "chan-a") is True
    assert presence.mark_online(u1, "chan-b") is False
    assert presence.mark_online(u1, "chan-a") is False
    assert presence.online_users([u1, u2]) == {u1}
    assert presence.mark_offline(u1, "chan-a") is False
    assert presence.is_online(u1)
    assert presence.mark_offline(u1, "chan-b") is True
    assert not presence.is_online(u1)
    assert presence.mark_offline(u1, "chan-b") is False
    assert presence.online_users([]) == set()
