"""core.concurrency.ConcurrencyLimit and its setting, HTTP_CONCURRENCY."""

import asyncio

from core.concurrency import ConcurrencyLimit
from tests.fresh_interpreter import json_from_fresh_interpreter

POSTGRES = "postgres://user@db.invalid:5432/platform"


class Recorder:
    """An ASGI app that holds each call open until released and counts how many
    calls are inside it at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self.done = 0
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send):
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        await self.release.wait()
        self.inside -= 1
        self.done += 1


def test_at_most_the_limit_are_inside_and_all_are_served():
    async def scenario():
        inner = Recorder()
        limited = ConcurrencyLimit(inner, 3)
        calls = [asyncio.create_task(limited({"type": "http"}, None, None)) for _ in range(10)]
        await asyncio.sleep(0.05)
        inside_while_held = inner.inside
        inner.release.set()
        await asyncio.wait_for(asyncio.gather(*calls), 5)
        return inside_while_held, inner.most_inside, inner.done

    inside_while_held, most_inside, done = asyncio.run(scenario())

    assert inside_while_held == 3
    assert most_inside == 3
    assert done == 10


def test_websockets_and_a_zero_limit_pass_straight_through():
    async def scenario(limit, scope_type):
        inner = Recorder()
        limited = ConcurrencyLimit(inner, limit)
        calls = [asyncio.create_task(limited({"type": scope_type}, None, None)) for _ in range(6)]
        await asyncio.sleep(0.05)
        inside = inner.inside
        inner.release.set()
        await asyncio.wait_for(asyncio.gather(*calls), 5)
        return inside

    assert asyncio.run(scenario(2, "websocket")) == 6
    assert asyncio.run(scenario(0, "http")) == 6


def test_each_event_loop_gets_its_own_turns():
    inner = Recorder()
    limited = ConcurrencyLimit(inner, 1)

    async def scenario():
        inner.release = asyncio.Event()
        calls = [asyncio.create_task(limited({"type": "http"}, None, None)) for _ in range(3)]
        await asyncio.sleep(0.05)
        inner.release.set()
        await asyncio.wait_for(asyncio.gather(*calls), 5)

    asyncio.run(scenario())
    asyncio.run(scenario())  # a semaphore of the first loop would refuse this one

    assert inner.done == 6
    assert inner.most_inside == 1


def server_setting(**env: str) -> list:
    """HTTP_CONCURRENCY and the HTTP app's limit, from config.asgi loaded with `env`."""
    code = (
        "from config import asgi\nfrom django.conf import settings\n"
        "http = asgi.application.application_mapping['http']"
    )
    variables = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DB_POOL_MAX_SIZE": "0",
        "HTTP_CONCURRENCY": None,
        **env,
    }
    return json_from_fresh_interpreter(
        code, "[settings.HTTP_CONCURRENCY, type(http).__name__, http.limit]", **variables
    )


def test_the_limit_defaults_to_the_pool_size_and_can_be_set():
    assert server_setting(DATABASE_URL=POSTGRES, DB_POOL_MAX_SIZE="6") == [6, "ConcurrencyLimit", 6]
    assert server_setting(DATABASE_URL=POSTGRES, DB_POOL_MAX_SIZE="6", HTTP_CONCURRENCY="12") == [
        12,
        "ConcurrencyLimit",
        12,
    ]
    assert server_setting(DATABASE_URL=POSTGRES) == [0, "ConcurrencyLimit", 0]
