"""Per-request cost of the Django ASGI stack, in-process, with and without
core.middleware.SyncChainMiddleware (no network, no server: the handler alone).

    .venv/bin/python bench/asgi_middleware.py [--requests 300] [--rounds 5]

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

SYNC_CHAIN = "core.middleware.SyncChainMiddleware"
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


async def per_request_ms(app, requests: int) -> float:
    await one_request(app)
    started = time.perf_counter()
    for _ in range(requests):
        await one_request(app)
    return (time.perf_counter() - started) / requests * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    if SYNC_CHAIN not in settings.MIDDLEWARE:
        raise SystemExit(f"{SYNC_CHAIN} is not in MIDDLEWARE: nothing to compare")
    with_chain = ASGIHandler()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != SYNC_CHAIN]
    without_chain = ASGIHandler()

    timings: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(args.rounds):  # interleaved, so drift in machine load hits both
        timings["with"].append(asyncio.run(per_request_ms(with_chain, args.requests)))
        timings["without"].append(asyncio.run(per_request_ms(without_chain, args.requests)))

    with_ms = statistics.median(timings["with"])
    without_ms = statistics.median(timings["without"])
    report = "\n".join(
        [
            f"### Django ASGI handler in-process, {datetime.date.today().isoformat()}",
            "",
            f"- command: `python bench/asgi_middleware.py --requests {args.requests} "
            f"--rounds {args.rounds}`",
            f"- machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
            "GET /health/ through the full middleware chain, sequential, no network",
            "",
            "| middleware chain | ms per request (median of rounds) |",
            "| --- | ---: |",
            f"| as configured (SyncChainMiddleware innermost) | {with_ms:.2f} |",
            f"| without SyncChainMiddleware | {without_ms:.2f} |",
            "",
            f"Ratio without / with: {without_ms / with_ms:.2f}.",
            "",
        ]
    )
    print(report)
    if not args.no_write:
        with (BASE_DIR / "BENCHMARKS.md").open("a") as results:
            results.write("\n" + report)


if __name__ == "__main__":
    main()
