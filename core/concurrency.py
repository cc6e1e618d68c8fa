"""At most `limit` HTTP requests inside Django at once per server process; the rest
wait their turn on the event loop.

Under daphne every request runs its middleware and view in a thread of its own,
and one process runs Python on one core at a time (the GIL). Past a few requests
at once, more threads only add switching, and with the connection pool they queue
for a connection after they have been started. A request waiting here costs a
coroutine instead. config.asgi wraps the HTTP app with HTTP_CONCURRENCY, which
defaults to the pool's size: a request holds its pooled connection until it ends,
so the pool admits no more than that many requests to the database anyway.
WebSocket connections are not limited.
"""

from __future__ import annotations

import asyncio
import weakref


class ConcurrencyLimit:
    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit
        # asyncio primitives belong to one event loop: one semaphore per loop (a
        # server has one; tests and management commands may run several).
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._semaphores = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return semaphore

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.limit <= 0:
            return await self.app(scope, receive, send)
        async with self._semaphore():
            return await self.app(scope, receive, send)
