"""Per-request cost of the HTTP handler in-process: Django's ASGIHandler against
core.http_handler.ThreadedASGIHandler, the one config.asgi serves HTTP with (no
network, no server: the handler alone, `--concurrency` requests at a time).

    .venv/bin/python bench/asgi_handler.py [--requests 300] [--rounds 5] [--concurrency 4]

Django's handler runs with the project's middleware in its async chain, and
again with a sync-only middleware innermost, which keeps that chain sync
(what config.settings did before ThreadedASGIHandler).

Appends the medians to BENCHMARKS.md unless --no-write.
"""

import argparse
import asyncio
import datetime
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
warnings.filterwarnings("ignore", "No directory at")  # WhiteNoise, without collectstatic

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

from core.http_handler import ThreadedASGIHandler  # noqa: E402

SYNC_MARKER = "bench.asgi_handler.SyncOnlyMiddleware"


class SyncOnlyMiddleware:
    """A sync-only middleware: innermost, it makes Django run the chain in sync mode."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/health/",
    "raw_path": b"/health/",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"127.0.0.1")],
    "client": ("127.0.0.1", 40000),
    "server": ("127.0.0.1", 8000),
}


async def one_request(app) -> None:
    delivered = False
    disconnect = asyncio.Event()
    status = []

    async def receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(dict(SCOPE), receive, send)
    if status != [200]:
        raise RuntimeError(f"unexpected status {status}")


async def per_request_ms(app, requests: int, concurrency: int) -> tuple[float, float]:
    """(wall ms, CPU ms) per request."""
    await one_request(app)
    turns = asyncio.Semaphore(concurrency)

    async def limited():
        async with turns:
            await one_request(app)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(limited() for _ in range(requests)))
    return (
        (time.perf_counter() - started) / requests * 1000,
        (time.process_time() - cpu) / requests * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    handlers = {"Django's ASGIHandler, async chain": ASGIHandler()}
    configured = settings.MIDDLEWARE
    settings.MIDDLEWARE = [*configured, SYNC_MARKER]
    handlers["Django's ASGIHandler, sync chain (sync-only innermost)"] = ASGIHandler()
    settings.MIDDLEWARE = configured
    handlers["ThreadedASGIHandler (config.asgi)"] = ThreadedASGIHandler(args.concurrency)

    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in handlers}
    for _ in range(args.rounds):  # interleaved, so drift in machine load hits all
        for name, handler in handlers.items():
            timings[name].append(
                asyncio.run(per_request_ms(handler, args.requests, args.concurrency))
            )

    medians = {
        name: (
            statistics.median(wall for wall, _ in rounds),
            statistics.median(cpu for _, cpu in rounds),
        )
        for name, rounds in timings.items()
    }
    threaded_cpu = medians["ThreadedASGIHandler (config.asgi)"][1]
    lines = [
        f"### HTTP handler in-process, {datetime.date.today().isoformat()}",
        "",
        f"- command: `python bench/asgi_handler.py --requests {args.requests} "
        f"--rounds {args.rounds} --concurrency {args.concurrency}`",
        f"- machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"GET /health/ through the project's middleware, {args.concurrency} at a time, "
        "no network",
        "",
        "| handler | wall ms per request | CPU ms per request | CPU / threaded |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, (wall, cpu) in medians.items():
        lines.append(f"| {name} | {wall:.3f} | {cpu:.3f} | {cpu / threaded_cpu:.2f} |")
    report = "\n".join([*lines, "", "Medians of the rounds.", ""])
    print(report)
    if not args.no_write:
        with (BASE_DIR / "BENCHMARKS.md").open("a") as results:
            results.write("\n" + report)


if __name__ == "__main__":
    main()
