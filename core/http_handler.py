"""Django's ASGI handler with each HTTP request run whole on one worker thread.

Django's own ASGIHandler runs a sync view under asyncio with several hand-offs
per request: the request_started signal, the middleware chain and the view
each cross to a worker thread and back, and every request gets a new thread
of its own (asgiref's ThreadSensitiveContext). This project's middleware and
views are sync, so that machinery buys nothing and cost about half of a
request's CPU (BENCHMARKS.md). Here the event loop reads the body, one call on a
fixed pool of `workers` threads runs what Django's WSGI handler runs (signals,
middleware, view, `response.close()`), and the loop sends the bytes. A request
waiting for a free thread costs a queued callable, not a thread.

As under WSGI, a thread serves one request at a time and keeps its database
connection between requests: the pool's, or a persistent one with
`DB_CONN_MAX_AGE` (bounded by the number of threads). Streaming responses are
iterated on the worker thread too, each chunk handed to the loop to send.
`async_to_sync` on a worker thread (the channel layer's publishes) runs on the
server's loop, as it does from asgiref's own threads, so publishes reuse the
layer's connections instead of a new loop and connection each.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix

# The asgiref releases whose internals `_response` was checked against (from, up
# to but excluding): it sets `SyncToAsync.threadlocal.main_event_loop` and
# `.main_event_loop_pid`, which `AsyncToSync` reads to find the server's loop.
# requirements.txt pins one of them; tests/core/test_asgiref_pin.py fails on any
# other until the internals are checked again and the range moved.
ASGIREF_SUPPORTED = ("3.13", "3.14")


class ThreadedASGIHandler(ASGIHandler):
    def __init__(self, workers: int) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.workers = workers
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="http")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        # A fresh copy of the context per request, as asyncio.to_thread does.
        context = contextvars.copy_context()
        response = await loop.run_in_executor(
            self.executor, context.run, self._respond, scope, body_file, loop, send
        )
        if response is not None:
            await self.send_response(response, send)

    def _respond(self, scope, body_file, loop, send):
        """On a worker thread: the response, closed, for the loop to send; or None
        once a streaming response has been sent from here. The body file is closed
        here too: a request the server gave up on (the client gone) may still be
        reading it."""
        try:
            return self._response(scope, body_file, loop, send)
        finally:
            body_file.close()

    def _response(self, scope, body_file, loop, send):
        # What SyncToAsync sets on its threads for AsyncToSync to find the loop.
        SyncToAsync.threadlocal.main_event_loop = loop
        SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
        if not response.streaming:
            # The body is bytes already: closing now (request_finished: the
            # database connection goes back) frees the thread before the send.
            response.close()
            return response
        try:
            self._stream(response, loop, send)
        finally:
            response.close()
        return None

    def _stream(self, response, loop, send) -> None:
        def emit(message):
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        emit({"type": "http.response.start", **self._start(response)})
        for part in response:
            for chunk, _ in self.chunk_bytes(part):
                emit({"type": "http.response.body", "body": chunk, "more_body": True})
        emit({"type": "http.response.body"})

    @staticmethod
    def _start(response) -> dict:
        headers = [
            (
                header.encode("ascii") if isinstance(header, str) else header,
                value.encode("latin1") if isinstance(value, str) else value,
            )
            for header, value in response.items()
        ]
        for cookie in response.cookies.values():
            headers.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
        return {"status": response.status_code, "headers": headers}


def leave_bodies_to_django() -> None:
    """Stop Twisted (under daphne) from parsing POST form bodies itself.

    Twisted's Request parses every `multipart/form-data` and urlencoded POST body
    into `request.args` before daphne sees the request, and answers a body it
    cannot parse (a multipart with nothing but a closing boundary) with a bare
    400 and no body, so the API never gets to answer in its error shape. Daphne
    never reads `args`: it hands the raw body to Django, which parses it (once)
    where a view asks. Twisted sets the switch on each request in `__init__`; a
    read-only property on daphne's request class wins over that.
    """
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # not served by daphne
        return
    WebRequest._parsePOSTFormSubmission = property(lambda self: False, lambda self, value: None)
