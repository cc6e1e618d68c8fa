"""The feed on the production ASGI server: depth, throughput, and the framework ceiling.

    .venv/bin/python bench/feed_bench.py [--database platform_bench] [--depth 50000]
        [--samples 300] [--duration 10] [--connections 32] [--rounds 3]

Needs the data of bench/generate_forum_data.py and REDIS_URL. In one run:

1. Query count of feed page 1 and of a page `--depth` posts deep (its cursor built
   from the keyset values of the depth-th post the viewer may see), counted
   in-process through the same URL, settings and JWT; EXPLAIN ANALYZE of both
   feed queries.
2. Latency of both pages on the server, sequential on one keep-alive
   connection, the two pages alternating; medians, p99 and deep / page 1.
3. Requests/s and p50/p99 at `--connections` for the feed, side by side with
   bench/urls.py's bare endpoints returning the same bytes from memory on the
   same server (the ceiling), rounds interleaved.

The server is daphne (one process, DEBUG off, the project's middleware) with
DJANGO_SETTINGS_MODULE=bench.settings, which adds the bare endpoints; part 3
runs once with DB_CONN_MAX_AGE=0 (the default) and once with 60 (persistent
connections). The user throttle rate is raised so the load is never throttled
(the throttle still runs). Loopback only; every phase is bounded in time.
Appends a Markdown entry to BENCHMARKS.md unless --no-write.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import http.client
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "BENCHMARKS.md"
sys.path.insert(0, str(BASE_DIR))

from bench.generate_forum_data import VIEWER_EMAIL  # noqa: E402
from bench.http_baseline import Server  # noqa: E402

FEED = "/api/v1/forum/posts/"
BARE = "/bench/bare/"
BARE_DRF = "/bench/bare-drf/"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="platform_bench")
    parser.add_argument(
        "--server",
        default=None,
        help="postgres://user@host:port (default: from DATABASE_URL, else 127.0.0.1:5432)",
    )
    parser.add_argument("--depth", type=int, default=50_000, help="posts before the deep page")
    parser.add_argument("--samples", type=int, default=300, help="requests per page, part 2")
    parser.add_argument("--duration", type=int, default=10, help="seconds per round, part 3")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    return parser.parse_args()


ARGS = parse_args()
if not os.environ.get("REDIS_URL"):
    raise SystemExit("set REDIS_URL: the production server runs with Redis")


def _server_url() -> str:
    if ARGS.server:
        return ARGS.server.rstrip("/")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0]
    return "postgres://postgres@127.0.0.1:5432"


SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DATABASE_URL": f"{_server_url()}/{ARGS.database}",
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; TLS ends at the proxy
    "LOG_LEVEL": "WARNING",
    "THROTTLE_USER": "100000000/min",
    "CACHE_KEY_PREFIX": "bench",
    "CELERY_TASK_ALWAYS_EAGER": "true",
}
os.environ.update(SERVER_ENV)
warnings.filterwarnings("ignore", "No directory at")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from core.pagination import FORWARD, Cursor, encode_cursor  # noqa: E402
from forum import selectors  # noqa: E402
from users.models import User  # noqa: E402


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


# --- part 1: queries, in-process --------------------------------------------


def deep_cursor(viewer, depth: int) -> tuple[str, str]:
    """The cursor of a page starting after the depth-th visible post, and the id of
    the post that page must start with."""
    feed = selectors.post_feed(viewer=viewer).order_by("-timestamp", "-id")
    rows = list(feed.values_list("timestamp", "id")[depth - 1 : depth + 1])
    (timestamp, post_id), (_, expected_first) = rows
    cursor = encode_cursor(Cursor(values=(timestamp, post_id), direction=FORWARD))
    return cursor, str(expected_first)


def feed_query(queries: list[dict]) -> str:
    for query in queries:
        sql = query["sql"]
        if 'FROM "forum_forumpost"' in sql and "LIMIT" in sql and "ORDER BY" in sql:
            return sql
    raise RuntimeError("no feed query captured")


def explain(sql: str) -> tuple[float, str]:
    with connection.cursor() as cursor:
        for _ in range(2):  # the second run, with a warm cache, is reported
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = [row[0] for row in cursor.fetchall()]
    total = float(re.search(r"Execution Time: ([\d.]+) ms", plan[-1]).group(1))
    return total, "\n".join(plan)


def count_queries(client: Client, path: str, token: str) -> tuple[int, list[dict], dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {response.content[:300]!r}")
    return len(captured), captured.captured_queries, response.json()


# --- part 2: sequential latency on the server -----------------------------------


def sequential_latencies(
    port: int, paths: list[str], token: str, samples: int, warmup: int = 20
) -> dict[str, list[float]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    timings: dict[str, list[float]] = {p: [] for p in paths}
    for index in range(warmup + samples):
        for path in paths:
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}")
            if index >= warmup:
                timings[path].append(elapsed)
    conn.close()
    return timings


def fetch(port: int, path: str, token: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        return response.read()
    finally:
        conn.close()


# --- part 3: load -------------------------------------------------------------


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, duration: int, connections: int, token: str) -> Load:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    return Load(
        requests_per_second=rps,
        p50_ms=_ms(*p50.groups()),
        p99_ms=_ms(*p99.groups()),
        errors=(int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    )


async def _python_load(port: int, path: str, duration: int, connections: int, token: str):
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + duration

    async def worker():
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - started) * 1000)
                if not head.startswith(b"HTTP/1.1 200"):
                    errors += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, errors, time.monotonic() - started


def run_python(url: str, duration: int, connections: int, token: str) -> Load:
    port, path = re.match(r"http://127\.0\.0\.1:(\d+)(/.*)", url).groups()
    latencies, errors, elapsed = asyncio.run(
        _python_load(int(port), path, duration, connections, token)
    )
    return Load(
        requests_per_second=len(latencies) / elapsed,
        p50_ms=percentile(latencies, 0.5),
        p99_ms=percentile(latencies, 0.99),
        errors=errors,
    )


def start_server(env: dict[str, str]) -> Server:
    server = Server("config.asgi:application", {**os.environ, **env})
    server.wait("/health/")
    return server


def load_rounds(server: Server, paths: list[str], token: str, run) -> dict[str, list[Load]]:
    for path in paths:
        run(server.url(path), 2, ARGS.connections, token)  # warm-up
    results: dict[str, list[Load]] = {p: [] for p in paths}
    for _ in range(ARGS.rounds):
        for path in paths:
            results[path].append(run(server.url(path), ARGS.duration, ARGS.connections, token))
    return results


def med(loads: list[Load], name: str) -> float:
    return statistics.median(getattr(load, name) for load in loads)


# --- the run --------------------------------------------------------------------


def main() -> None:
    load_before = os.getloadavg()[0]
    client_name = ARGS.client
    if client_name == "auto":
        client_name = "wrk" if shutil.which("wrk") else "python"
    run = run_wrk if client_name == "wrk" else run_python

    viewer = User.objects.get(email=VIEWER_EMAIL)
    token = AccessToken.for_user(viewer)
    token.set_exp(lifetime=datetime.timedelta(hours=2))
    token = str(token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM forum_forumpost")
        total_posts = cursor.fetchone()[0]

    print(f"finding the post {ARGS.depth:,} deep ...", file=sys.stderr)
    cursor, expected_first = deep_cursor(viewer, ARGS.depth)
    deep = f"{FEED}?cursor={cursor}"

    client = Client()
    page1_queries, page1_sql, page1 = count_queries(client, FEED, token)
    deep_queries, deep_sql, deep_page = count_queries(client, deep, token)
    if deep_page["posts"][0]["id"] != expected_first:
        raise RuntimeError("the deep page does not start after the depth-th post")
    page1_explain = explain(feed_query(page1_sql))
    deep_explain = explain(feed_query(deep_sql))
    connection.close()

    handle, body_path = tempfile.mkstemp(prefix="feed-bench-", suffix=".json")
    os.close(handle)
    load_results: dict[tuple[str, str], list[Load]] = {}
    try:
        print("server, DB_CONN_MAX_AGE=0: latency of page 1 and the deep page ...", file=sys.stderr)
        server = start_server({"DB_CONN_MAX_AGE": "0", "BENCH_BARE_BODY": body_path})
        try:
            body = fetch(server.port, FEED, token)
            Path(body_path).write_bytes(body)
            latencies = sequential_latencies(server.port, [FEED, deep], token, ARGS.samples)
            print("server, DB_CONN_MAX_AGE=0: load ...", file=sys.stderr)
            for path, loads in load_rounds(server, [BARE, BARE_DRF, FEED], token, run).items():
                load_results[("0", path)] = loads
        finally:
            server.stop()
        print("server, DB_CONN_MAX_AGE=60: load ...", file=sys.stderr)
        server = start_server({"DB_CONN_MAX_AGE": "60", "BENCH_BARE_BODY": body_path})
        try:
            for path, loads in load_rounds(server, [BARE, BARE_DRF, FEED], token, run).items():
                load_results[("60", path)] = loads
        finally:
            server.stop()
    finally:
        os.unlink(body_path)

    report = render(
        client_name=client_name,
        load_before=load_before,
        total_posts=total_posts,
        body_bytes=len(body),
        posts_per_page=len(page1["posts"]),
        queries=(page1_queries, deep_queries),
        explains=(page1_explain, deep_explain),
        latencies=(latencies[FEED], latencies[deep]),
        load_results=load_results,
    )
    print(report)
    print("\nEXPLAIN ANALYZE, page 1:\n" + page1_explain[1])
    print("\nEXPLAIN ANALYZE, deep page:\n" + deep_explain[1])
    if not ARGS.no_write:
        with RESULTS.open("a") as results:
            results.write("\n" + report)


def _plan_lines(plan: str, limit: int = 14) -> str:
    return "\n".join(plan.splitlines()[:limit])


def render(
    *,
    client_name,
    load_before,
    total_posts,
    body_bytes,
    posts_per_page,
    queries,
    explains,
    latencies,
    load_results,
) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()
    if commit and dirty:
        commit += " with uncommitted changes"
    command = (
        f"python bench/feed_bench.py --database {ARGS.database} --depth {ARGS.depth} "
        f"--samples {ARGS.samples} --duration {ARGS.duration} --connections {ARGS.connections} "
        f"--rounds {ARGS.rounds} --client {client_name}"
    )
    page1_ms, deep_ms = latencies
    page1_med, deep_med = statistics.median(page1_ms), statistics.median(deep_ms)
    lines = [
        f"### Forum feed, {datetime.date.today().isoformat()}",
        "",
        f"- command: `{command}` (REDIS_URL set)",
        f"- machine: {os.cpu_count()} cores shared by load generator, daphne, PostgreSQL and "
        f"Redis (load average {load_before:.2f} before the run, noisy), "
        f"Python {platform.python_version()}, commit {commit or 'unknown'}",
        f"- server: one daphne process on 127.0.0.1, DEBUG off, bench.settings (the project's "
        f"settings plus the bare endpoints); data: {total_posts:,} posts "
        "(bench/generate_forum_data.py), viewer `bench` following 200 authors",
        f"- feed page: {posts_per_page} posts, {body_bytes:,} bytes of JSON",
        "",
        f"**Depth.** Page 1 against the page {ARGS.depth:,} posts deep; "
        f"{ARGS.samples} sequential requests each on one keep-alive connection, alternating.",
        "",
        "| page | queries | median ms | p99 ms | feed query (EXPLAIN ANALYZE) ms |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| page 1 | {queries[0]} | {page1_med:.1f} | {percentile(page1_ms, 0.99):.1f} | "
        f"{explains[0][0]:.2f} |",
        f"| {ARGS.depth:,} deep | {queries[1]} | {deep_med:.1f} | "
        f"{percentile(deep_ms, 0.99):.1f} | {explains[1][0]:.2f} |",
        "",
        f"Deep / page 1, medians: **{deep_med / page1_med:.2f}x** (goal <= 1.2x).",
        "",
        f"**Throughput.** {ARGS.connections} keep-alive connections, {ARGS.rounds} rounds of "
        f"{ARGS.duration}s per endpoint (interleaved) after a 2s warm-up; medians over rounds.",
        "",
        "| endpoint | DB_CONN_MAX_AGE | req/s | p50 ms | p99 ms | errors | vs bare |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    labels = {
        BARE: "bare: same bytes, plain view",
        BARE_DRF: "bare-drf: same bytes, JWT + throttle",
        FEED: "feed page 1",
    }
    for conn_age in ("0", "60"):
        ceiling = med(load_results[(conn_age, BARE)], "requests_per_second")
        for path in (BARE, BARE_DRF, FEED):
            loads = load_results[(conn_age, path)]
            rps = med(loads, "requests_per_second")
            lines.append(
                f"| {labels[path]} | {conn_age} | {rps:,.0f} | {med(loads, 'p50_ms'):.1f} | "
                f"{med(loads, 'p99_ms'):.1f} | {sum(x.errors for x in loads)} | "
                f"{rps / ceiling:.2f} |"
            )
    lines += [
        "",
        "<details><summary>Feed query plans (top)</summary>",
        "",
        "Page 1:",
        "",
        "```",
        _plan_lines(explains[0][1]),
        "```",
        "",
        f"{ARGS.depth:,} deep:",
        "",
        "```",
        _plan_lines(explains[1][1]),
        "```",
        "",
        "</details>",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
