"""core.http_handler.ThreadedASGIHandler (the HTTP side of config.asgi) and
HTTP_CONCURRENCY, driven in-process with ASGI messages."""

import asyncio
import contextvars
import json
import subprocess
import threading

import pytest
from asgiref.sync import async_to_sync
from django.core import signals
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from core.http_handler import ThreadedASGIHandler
from tests.fresh_interpreter import json_from_fresh_interpreter

POSTGRES = "postgres://user@db.invalid:5432/platform"

visitor: contextvars.ContextVar[str] = contextvars.ContextVar("visitor", default="nobody")


class Held:
    """State of the /held/ view: requests inside it at once, released together."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.most_inside = 0
        self.release = threading.Event()
        self.threads: set[str] = set()


HELD = Held()


def held(request):
    with HELD.lock:
        HELD.inside += 1
        HELD.most_inside = max(HELD.most_inside, HELD.inside)
        HELD.threads.add(threading.current_thread().name)
    HELD.release.wait(5)
    with HELD.lock:
        HELD.inside -= 1
    return HttpResponse(b"done")


def where(request):
    previous = visitor.get()
    visitor.set(request.GET.get("name", "someone"))
    return JsonResponse({"thread": threading.current_thread().name, "previous": previous})


@csrf_exempt
def echo(request):
    return HttpResponse(request.body[::-1], content_type="application/octet-stream")


def stream(request):
    def parts():
        for number in range(3):
            yield f"{number}:{threading.current_thread().name};".encode()

    return StreamingHttpResponse(parts(), content_type="text/plain")


def publishes(request):
    async def on_which_loop():
        return id(asyncio.get_running_loop())

    return JsonResponse({"loop": async_to_sync(on_which_loop)()})


def fails(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("held/", held),
    path("where/", where),
    path("echo/", echo),
    path("stream/", stream),
    path("publishes/", publishes),
    path("fails/", fails),
]


@pytest.fixture
def handler(settings):
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    settings.DEBUG = False
    return ThreadedASGIHandler(workers=3)


def scope_of(path_: str, method: str = "GET", query: bytes = b"") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path_,
        "raw_path": path_.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


async def call(app, scope: dict, body_parts: list[bytes] | None = None, disconnect=False):
    """(status, body, messages sent) of one request; the body arrives in `body_parts`."""
    body_parts = body_parts or [b""]
    incoming = [
        {"type": "http.request", "body": part, "more_body": index < len(body_parts) - 1}
        for index, part in enumerate(body_parts)
    ]
    if disconnect:
        incoming = [{"type": "http.disconnect"}]

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)

    sent = []

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    if not sent:
        return None, b"", sent
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body, sent


def test_a_request_runs_whole_on_one_worker_thread(handler):
    threads = []

    def record(**kwargs):
        threads.append(threading.current_thread().name)

    signals.request_started.connect(record)
    signals.request_finished.connect(record)
    try:
        status, body, _ = asyncio.run(call(handler, scope_of("/where/")))
    finally:
        signals.request_started.disconnect(record)
        signals.request_finished.disconnect(record)

    assert status == 200
    view_thread = json.loads(body)["thread"]
    assert view_thread.startswith("http")
    assert view_thread != threading.current_thread().name
    assert threads == [view_thread, view_thread]  # started, view and finished together


def test_at_most_workers_requests_run_at_once_and_all_are_served(handler):
    HELD.reset()

    async def scenario():
        calls = [asyncio.create_task(call(handler, scope_of("/held/"))) for _ in range(10)]
        await asyncio.sleep(0.2)
        inside_while_held = HELD.inside
        HELD.release.set()
        results = await asyncio.wait_for(asyncio.gather(*calls), 10)
        return inside_while_held, results

    inside_while_held, results = asyncio.run(scenario())

    assert inside_while_held == 3
    assert HELD.most_inside == 3
    assert [status for status, _, _ in results] == [200] * 10
    assert len(HELD.threads) == 3  # the same three threads served all ten


def test_threads_are_reused_and_context_does_not_leak_between_requests(handler):
    async def scenario():
        first = await call(handler, scope_of("/where/", query=b"name=alice"))
        second = await call(handler, scope_of("/where/", query=b"name=bob"))
        return first, second

    (_, first, _), (_, second, _) = asyncio.run(scenario())

    assert json.loads(first)["previous"] == "nobody"
    assert json.loads(second)["previous"] == "nobody"  # alice's value stayed in her request


def test_the_body_is_read_from_every_part(handler):
    status, body, _ = asyncio.run(
        call(handler, scope_of("/echo/", method="POST"), [b"abc", b"def", b"gh"])
    )

    assert status == 200
    assert body == b"hgfedcba"


def test_a_client_gone_before_its_body_arrived_runs_nothing(handler):
    HELD.reset()

    status, _, sent = asyncio.run(call(handler, scope_of("/held/"), disconnect=True))

    assert status is None and sent == []
    assert HELD.threads == set()


def test_streaming_responses_are_iterated_on_the_worker_and_closed_after(handler):
    finished = []

    def record(**kwargs):
        finished.append(threading.current_thread().name)

    signals.request_finished.connect(record)
    try:
        status, body, sent = asyncio.run(call(handler, scope_of("/stream/")))
    finally:
        signals.request_finished.disconnect(record)

    assert status == 200
    parts = [part for part in body.decode().split(";") if part]
    assert [part.split(":")[0] for part in parts] == ["0", "1", "2"]
    (worker,) = {part.split(":")[1] for part in parts}
    assert worker.startswith("http")
    assert finished == [worker]
    assert sent[-1] == {"type": "http.response.body"}  # the closing message
    assert [m["type"] for m in sent].count("http.response.start") == 1


def test_async_to_sync_in_a_view_runs_on_the_servers_loop(handler):
    async def scenario():
        _, body, _ = await call(handler, scope_of("/publishes/"))
        _, again, _ = await call(handler, scope_of("/publishes/"))
        return id(asyncio.get_running_loop()), body, again

    server_loop, body, again = asyncio.run(scenario())

    # Not a new loop (and thread, and channel-layer connection) per call.
    assert json.loads(body)["loop"] == server_loop
    assert json.loads(again)["loop"] == server_loop


def test_an_error_in_a_view_is_a_500_and_the_thread_serves_on(handler):
    async def scenario():
        failed = await call(handler, scope_of("/fails/"))
        after = await call(handler, scope_of("/echo/", method="POST"), [b"ok"])
        return failed, after

    (failed_status, _, _), (after_status, after_body, _) = asyncio.run(scenario())

    assert failed_status == 500
    assert (after_status, after_body) == (200, b"ko")


def test_only_http_is_served(handler):
    with pytest.raises(ValueError, match="websocket"):
        asyncio.run(call(handler, {"type": "websocket"}))


def server_setting(**env: str) -> list:
    """HTTP_CONCURRENCY and the HTTP app's worker count, from config.asgi loaded with `env`."""
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
        code,
        "[settings.HTTP_CONCURRENCY, type(http).__name__, http.workers]",
        **variables,
    )


def test_workers_default_to_the_pool_size_and_can_be_set():
    handler = "ThreadedASGIHandler"
    assert server_setting(DATABASE_URL=POSTGRES, DB_POOL_MAX_SIZE="6") == [6, handler, 6]
    assert server_setting(DATABASE_URL=POSTGRES, DB_POOL_MAX_SIZE="6", HTTP_CONCURRENCY="12") == [
        12,
        handler,
        12,
    ]
    without_pool = server_setting(DATABASE_URL=POSTGRES)
    assert without_pool[1:] == [handler, without_pool[0]]
    assert 5 <= without_pool[0] <= 32


def test_fewer_than_one_worker_is_refused():
    code = "from django.conf import settings\nsettings.HTTP_CONCURRENCY"
    with pytest.raises(subprocess.CalledProcessError) as refused:
        json_from_fresh_interpreter(
            code, "1", DJANGO_SETTINGS_MODULE="config.settings", HTTP_CONCURRENCY="0"
        )
    assert "HTTP_CONCURRENCY must be at least 1" in refused.value.stderr
