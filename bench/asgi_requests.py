"""CPU and wall time per request of one endpoint through `config.asgi`, in-process,
for this source tree and others, rounds interleaved.

    .venv/bin/python bench/asgi_requests.py [TREE ...] [--path /api/v1/forum/posts/]
        [--method GET] [--requests 600] [--concurrency 4] [--rounds 3]
        [--database platform_bench]

Each round starts one Python process per tree (cwd = the tree, so it imports that
tree's code) that loads `config.asgi` with bench.settings and the pool
(BENCH_DB_POOL=1), warms up with 20 requests, then sends `--requests` requests
as the viewer of bench/generate_forum_data.py, `--concurrency` at a time, and
reports wall and process CPU ms per request. No network and no server: the
application alone, as daphne would call it. `{post}` in `--path` becomes the id
of the newest post the viewer sees (e.g. `--path /api/v1/forum/posts/{post}/like/
--method POST`: a like toggled on and off). Needs REDIS_URL and the data of
bench/generate_forum_data.py. Prints Markdown; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Run in each tree's process: prints {"wall_ms": ..., "cpu_ms": ...}.
CHILD = r"""
import asyncio, datetime, json, os, sys, time
sys.path.insert(0, os.getcwd())
from config.asgi import application
from asgiref.sync import sync_to_async
from rest_framework_simplejwt.tokens import AccessToken
from bench.generate_forum_data import VIEWER_EMAIL
from forum.models import ForumPost
from users.models import User

method, path, requests, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def prepare():
    viewer = User.objects.get(email=VIEWER_EMAIL)
    token = AccessToken.for_user(viewer)
    token.set_exp(lifetime=datetime.timedelta(hours=2))
    newest = ForumPost.objects.filter(privacy="public", hidden_at__isnull=True).latest("timestamp")
    return str(token), path.replace("{post}", str(newest.pk))

async def one(token, target):
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": target, "raw_path": target.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
    }
    delivered, status = False, []
    async def receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()
    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])
    await application(scope, receive, send)
    if status[0] >= 300:
        raise SystemExit(f"{method} {target}: {status[0]}")

async def main():
    token, target = await sync_to_async(prepare)()
    for _ in range(20):
        await one(token, target)
    turns = asyncio.Semaphore(concurrency)
    async def limited():
        async with turns:
            await one(token, target)
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(limited() for _ in range(requests)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"wall_ms": wall / requests * 1000, "cpu_ms": cpu / requests * 1000}))

asyncio.run(main())
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path, help="other source trees")
    parser.add_argument("--path", default="/api/v1/forum/posts/")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="platform_bench")
    return parser.parse_args()


def run(tree: Path, args) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
        "BENCH_DB_POOL": "1",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "ERROR",
        "THROTTLE_USER": "1000000/s",  # never throttled; the history stays short
        "BENCH_BARE_BODY": os.devnull,
    }
    completed = subprocess.run(
        [
            *(sys.executable, "-W", "ignore", "-c", CHILD),
            *(args.method, args.path, str(args.requests), str(args.concurrency)),
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("set REDIS_URL")
    trees = [BASE_DIR, *args.trees]
    results: dict[Path, list[dict]] = {tree: [] for tree in trees}
    for number in range(args.rounds):
        print(f"round {number + 1} of {args.rounds} ...", file=sys.stderr)
        for tree in trees:  # interleaved, so drift in machine load hits every tree
            results[tree].append(run(tree, args))
    print(
        f"{args.method} {args.path}: {args.requests} requests, {args.concurrency} at a time, "
        f"medians of {args.rounds} rounds\n"
    )
    print("| tree | wall ms per request | CPU ms per request | CPU / this tree's |")
    print("| --- | ---: | ---: | ---: |")
    own_cpu = statistics.median(r["cpu_ms"] for r in results[BASE_DIR])
    for tree, rounds in results.items():
        wall = statistics.median(r["wall_ms"] for r in rounds)
        cpu = statistics.median(r["cpu_ms"] for r in rounds)
        name = "this tree" if tree == BASE_DIR else str(tree)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {cpu / own_cpu:.2f} |")


if __name__ == "__main__":
    main()
