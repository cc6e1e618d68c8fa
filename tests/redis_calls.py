"""Counting round trips to Redis, by client.

A spy, not a stand-in: every call goes through to the real server. Counted are
the client calls that each cost one round trip: a command sent on its own and a
whole pipeline. Connection handshakes are not counted. `sync` is the
project's own client (event log, presence, cache); `async` is the channel
layer's.
"""

import hashlib
from collections import Counter

import pytest
import redis
import redis.asyncio
import redis.asyncio.client
import redis.client


class RedisCalls:
    def __init__(self):
        self.calls: list[tuple[str, str, tuple]] = []

    def record(self, client: str, command: str, args: tuple) -> None:
        self.calls.append((client, command, args))

    def counts(self) -> Counter:
        return Counter((client, command) for client, command, _ in self.calls)

    def scripts(self, source: str) -> int:
        """How many times the Lua script `source` ran (EVALSHA by its digest, or EVAL)."""
        sha = hashlib.sha1(source.encode()).hexdigest()
        return sum(
            1
            for _, command, args in self.calls
            if (command == "EVALSHA" and args[:1] == (sha,))
            or (command == "EVAL" and args[:1] == (source,))
        )

    def reset(self) -> None:
        self.calls.clear()


@pytest.fixture
def redis_calls(monkeypatch):
    spy = RedisCalls()

    def wrap_sync(cls, method, client):
        original = getattr(cls, method)

        def wrapper(self, *args, **kwargs):
            command, rest = _describe(method, args)
            spy.record(client, command, rest)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, method, wrapper)

    def wrap_async(cls, method, client):
        original = getattr(cls, method)

        async def wrapper(self, *args, **kwargs):
            command, rest = _describe(method, args)
            spy.record(client, command, rest)
            return await original(self, *args, **kwargs)

        monkeypatch.setattr(cls, method, wrapper)

    # A pipeline's own execute_command only queues (its class overrides it).
    wrap_sync(redis.Redis, "execute_command", "sync")
    wrap_sync(redis.client.Pipeline, "execute", "sync")
    wrap_async(redis.asyncio.Redis, "execute_command", "async")
    wrap_async(redis.asyncio.client.Pipeline, "execute", "async")
    return spy


def _describe(method: str, args: tuple) -> tuple[str, tuple]:
    if method == "execute":
        return "pipeline", ()
    return str(args[0]).upper(), tuple(args[1:])
