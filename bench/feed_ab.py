"""The feed and the bare ceiling on two source trees at once: this one and another
(an older commit checked out with `git worktree add`), rounds interleaved.

    .venv/bin/python bench/feed_ab.py OTHER_TREE [--database platform_bench]
        [--rounds 5] [--duration 8] [--connections 32] [--env NAME=VALUE ...]

Runs from one process what bench/feed_bench.py runs from one tree: a daphne
server per tree with bench.settings and the connection pool (BENCH_DB_POOL=1),
both up for the whole run, and wrk against /bench/bare/ and the feed page 1 of
each in turn, round after round, so that both trees meet the same machine noise.
Reports medians over rounds of requests/s, the feed's share of its own tree's
ceiling, and the server process's CPU ms per request (from /proc). `--env`
settings go to this tree's server only (e.g. `--env HTTP_CONCURRENCY=0`, with
OTHER_TREE the same tree, to measure one setting). Needs wrk, REDIS_URL and the
data of bench/generate_forum_data.py. Prints Markdown; writes nothing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.http_baseline import free_port  # noqa: E402

FEED = "/api/v1/forum/posts/"
BARE = "/bench/bare/"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other source tree")
    parser.add_argument("--database", default="platform_bench")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE, this tree only")
    return parser.parse_args()


ARGS = parse_args()
if not os.environ.get("REDIS_URL"):
    raise SystemExit("set REDIS_URL")
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{ARGS.database}",
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "THROTTLE_USER": "1000000/s",
    "CACHE_KEY_PREFIX": "bench",
    "CELERY_TASK_ALWAYS_EAGER": "true",
    "DB_CONN_MAX_AGE": "0",
    "BENCH_DB_POOL": "1",
}
os.environ.update(SERVER_ENV)

import django  # noqa: E402

django.setup()

from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from bench.generate_forum_data import VIEWER_EMAIL  # noqa: E402
from users.models import User  # noqa: E402


class TreeServer:
    def __init__(self, tree: Path, env: dict[str, str]):
        self.tree = tree
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "config.asgi:application",
            ],
            cwd=tree,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def get(self, path: str, token: str) -> bytes:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def wait(self, token: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.get(FEED, token)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server of {self.tree} did not answer")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=10)


def load(server: TreeServer, path: str, token: str) -> tuple[float, float]:
    """(requests/s, server CPU ms per request) of one wrk round."""
    before = server.cpu_seconds()
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{ARGS.connections}",
            f"-d{ARGS.duration}s",
            "-H",
            f"Authorization: Bearer {token}",
            f"http://127.0.0.1:{server.port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = server.cpu_seconds() - before
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    if re.search(r"Non-2xx", out):
        raise RuntimeError(f"errors from {server.tree}{path}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), cpu * 1000 / requests


def main() -> None:
    token = AccessToken.for_user(User.objects.get(email=VIEWER_EMAIL))
    token.set_exp(lifetime=datetime.timedelta(hours=2))
    token = str(token)
    body = Path(f"/tmp/feed-ab-{os.getpid()}.json")
    extra = dict(item.split("=", 1) for item in ARGS.env)
    trees = {"this tree": (BASE_DIR, extra), "other tree": (ARGS.other.resolve(), {})}
    servers = {}
    try:
        for name, (tree, env) in trees.items():
            servers[name] = TreeServer(tree, {"BENCH_BARE_BODY": str(body), **env})
        for server in servers.values():
            server.wait(token)
        body.write_bytes(servers["this tree"].get(FEED, token))
        for server in servers.values():
            for path in (BARE, FEED):
                for _ in range(20):
                    server.get(path, token)
        results = {(name, path): [] for name in servers for path in (BARE, FEED)}
        for round_number in range(ARGS.rounds):
            print(f"round {round_number + 1} of {ARGS.rounds} ...", file=sys.stderr)
            for name, server in servers.items():
                for path in (BARE, FEED):
                    results[name, path].append(load(server, path, token))
                    time.sleep(1)
    finally:
        for server in servers.values():
            server.stop()
        body.unlink(missing_ok=True)

    def med(name, path, index):
        return statistics.median(r[index] for r in results[name, path])

    print(f"{ARGS.rounds} rounds of {ARGS.duration}s at {ARGS.connections} connections, medians;")
    print(f"this tree {BASE_DIR} {' '.join(ARGS.env)}; other tree {trees['other tree'][0]}\n")
    print("| tree | bare req/s | feed req/s | feed / bare | bare CPU ms/req | feed CPU ms/req |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in servers:
        bare, feed = med(name, BARE, 0), med(name, FEED, 0)
        print(
            f"| {name} | {bare:.0f} | {feed:.0f} | {feed / bare:.2f} | "
            f"{med(name, BARE, 1):.2f} | {med(name, FEED, 1):.2f} |"
        )
    for name in servers:
        rounds = ", ".join(f"{r[0]:.0f}" for r in results[name, FEED])
        print(f"\n{name}, feed req/s by round: {rounds}")


if __name__ == "__main__":
    main()
