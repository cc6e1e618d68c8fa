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
DJANGO_SETTINGS_MODULE=bench.settings, which adds the bare endpoints. Part 3 runs
once as configured by default (DB_CONN_MAX_AGE=0: a new database connection per
request) and, when psycopg-pool is installed, once with Django's connection pool
(BENCH_DB_POOL=1, see bench/settings.py). DB_CONN_MAX_AGE > 0 is not measured:
under ASGI every request gets its own connection object, so persistent
connections pile up until PostgreSQL refuses new clients. The user throttle runs
with its rate raised to 1,000,000/s, so the load is never throttled and the
history it reads and writes per request stays as short as a real user's. Loopback
only; every phase is bounded in time.
Appends a Markdown entry to BENCHMARKS.md unless --no-write.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import http.client
import importlib.util
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

NEW_CONNECTION = "new per request"
POOL = "pool (BENCH_DB_POOL=1)"
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
    "THROTTLE_USER": "1000000/s",  # a one-second window keeps the history short
    "CACHE_KEY_PREFIX": "bench",
    "CELERY_TASK_ALWAYS_EAGER": "true",
}
os.environ.update(SERVER_ENV)
# This process (in-process timings) keeps its connection; each server gets its own value.
os.environ["DB_CONN_MAX_AGE"] = "60"
warnings.filterwarnings("ignore", "No directory at")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from core.pagination import FORWARD, Cursor, encode_cursor, keyset_filter  # noqa: E402
from forum import selectors  # noqa: E402
from forum.pagination import PostPagination  # noqa: E402
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


def deep_cursor(viewer, depth: int) -> tuple[tuple, str, str]:
    """The keyset values of the depth-th visible post, the cursor of the page after
    it, and the id of the post that page must start with."""
    feed = selectors.post_feed(viewer=viewer).order_by(*PostPagination.ordering)
    rows = list(feed.values_list("timestamp", "id")[depth - 1 : depth + 1])
    (timestamp, post_id), (_, expected_first) = rows
    cursor = encode_cursor(Cursor(values=(timestamp, post_id), direction=FORWARD))
    return (timestamp, post_id), cursor, str(expected_first)


def bounded_deep_query(viewer, values: tuple) -> tuple[str, list]:
    """The deep page's feed query with the proposed change to keyset_filter: the
    first ordering column also bounded on its own (`timestamp <= x`), which the
    index can seek to, instead of only inside the OR."""
    page_size = int(settings.REST_FRAMEWORK["PAGE_SIZE"])
    feed = (
        selectors.post_feed(viewer=viewer)
        .order_by(*PostPagination.ordering)
        .filter(keyset_filter(PostPagination.ordering, values, forward=True))
        .filter(timestamp__lte=values[0])
    )
    return feed[: page_size + 1].query.sql_with_params()


def feed_query(queries: list[dict]) -> str:
    for query in queries:
        sql = query["sql"]
        if 'FROM "forum_forumpost"' in sql and "LIMIT" in sql and "ORDER BY" in sql:
            return sql
    raise RuntimeError("no feed query captured")


def explain(query: str | tuple[str, list]) -> tuple[float, str]:
    sql, params = (query, None) if isinstance(query, str) else query
    with connection.cursor() as cursor:
        for _ in range(2):  # the second run, with a warm cache, is reported
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = [row[0] for row in cursor.fetchall()]
    total = float(re.search(r"Execution Time: ([\d.]+) ms", plan[-1]).group(1))
    return total, "\n".join(plan)


def count_queries(client: Client, path: str, token: str) -> tuple[int, list[dict], dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {response.content[:300]!r}")
    return len(captured), captured.captured_queries, response.json()


def in_process_medians(client: Client, paths: list[str], token: str, samples: int = 100):
    """Median ms per request through Django's handler in this process (no server)."""
    timings: dict[str, list[float]] = {p: [] for p in paths}
    for index in range(10 + samples):
        for path in paths:
            started = time.perf_counter()
            response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")
            if index >= 10:
                timings[path].append(elapsed)
    return {path: statistics.median(values) for path, values in timings.items()}


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
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
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
    if "Non-2xx" in out or "Socket errors" in out:
        print(out, file=sys.stderr)
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


def drain(server: Server, timeout: float = 30) -> None:
    """Wait for the requests a load run left in flight. Django runs each request in a
    thread of its own, all sharing the GIL, so /health/ is quick again only once
    they are done."""
    deadline = time.monotonic() + timeout
    quick = 0
    while quick < 3 and time.monotonic() < deadline:
        started = time.perf_counter()
        fetch(server.port, "/health/", "")
        quick = quick + 1 if time.perf_counter() - started < 0.02 else 0
        time.sleep(0.05)


def load_rounds(server: Server, paths: list[str], token: str, run) -> dict[str, list[Load]]:
    for path in paths:
        run(server.url(path), 2, ARGS.connections, token)  # warm-up
        drain(server)
    results: dict[str, list[Load]] = {p: [] for p in paths}
    for _ in range(ARGS.rounds):
        for path in paths:
            results[path].append(run(server.url(path), ARGS.duration, ARGS.connections, token))
            drain(server)
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

    # The tree may have gained migrations since the data was generated.
    call_command("migrate", verbosity=0)
    viewer = User.objects.get(email=VIEWER_EMAIL)
    token = AccessToken.for_user(viewer)
    token.set_exp(lifetime=datetime.timedelta(hours=2))
    token = str(token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM forum_forumpost")
        total_posts = cursor.fetchone()[0]

    print(f"finding the post {ARGS.depth:,} deep ...", file=sys.stderr)
    cursor_values, cursor, expected_first = deep_cursor(viewer, ARGS.depth)
    deep = f"{FEED}?cursor={cursor}"

    client = Client()
    page1_queries, page1_sql, page1 = count_queries(client, FEED, token)
    deep_queries, deep_sql, deep_page = count_queries(client, deep, token)
    if deep_page["posts"][0]["id"] != expected_first:
        raise RuntimeError("the deep page does not start after the depth-th post")
    explains = {
        "page 1": explain(feed_query(page1_sql)),
        "deep": explain(feed_query(deep_sql)),
        "deep, bounded": explain(bounded_deep_query(viewer, cursor_values)),
    }

    handle, body_path = tempfile.mkstemp(prefix="feed-bench-", suffix=".json")
    os.close(handle)
    load_results: dict[tuple[str, str], list[Load]] = {}
    try:
        Path(body_path).write_bytes(client.get(FEED, HTTP_AUTHORIZATION=f"Bearer {token}").content)
        os.environ["BENCH_BARE_BODY"] = body_path
        print("in-process timings ...", file=sys.stderr)
        in_process = in_process_medians(client, [BARE, BARE_DRF, FEED, deep], token)
        connection.close()

        print("server, new connection per request: page 1 and the deep page ...", file=sys.stderr)
        server = start_server({"DB_CONN_MAX_AGE": "0", "BENCH_BARE_BODY": body_path})
        try:
            body = fetch(server.port, FEED, token)
            Path(body_path).write_bytes(body)
            latencies = sequential_latencies(server.port, [FEED, deep], token, ARGS.samples)
            print("server, new connection per request: load ...", file=sys.stderr)
            for path, loads in load_rounds(server, [BARE, BARE_DRF, FEED], token, run).items():
                load_results[(NEW_CONNECTION, path)] = loads
        finally:
            server.stop()
        if importlib.util.find_spec("psycopg_pool"):
            print("server, connection pool: load ...", file=sys.stderr)
            server = start_server(
                {"DB_CONN_MAX_AGE": "0", "BENCH_DB_POOL": "1", "BENCH_BARE_BODY": body_path}
            )
            try:
                for path, loads in load_rounds(server, [BARE, BARE_DRF, FEED], token, run).items():
                    load_results[(POOL, path)] = loads
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
        explains=explains,
        latencies=(latencies[FEED], latencies[deep]),
        in_process={
            BARE: in_process[BARE],
            BARE_DRF: in_process[BARE_DRF],
            FEED: in_process[FEED],
            "deep": in_process[deep],
        },
        load_results=load_results,
    )
    print(report)
    for name, (_, plan) in explains.items():
        print(f"\nEXPLAIN ANALYZE, {name}:\n{plan}")
    if any(load.errors for loads in load_results.values() for load in loads):
        raise SystemExit("some requests failed (see the wrk output above): not recorded")
    if not ARGS.no_write:
        with RESULTS.open("a") as results:
            results.write("\n" + report)


def _plan_lines(plan: str, limit: int = 12) -> str:
    return "\n".join(line[:240] for line in plan.splitlines()[:limit])


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
    in_process,
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
    depth = f"{ARGS.depth:,} deep"
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
        f"**Depth.** Page 1 against the page {depth}; {ARGS.samples} sequential requests "
        "each on one keep-alive connection to the server (a new database connection per "
        "request, the default), alternating. "
        "Queries counted in-process through the same URL and settings; in-process ms: "
        "Django's test client, persistent connection, median of 100.",
        "",
        "| page | queries | server median ms | server p99 ms | in-process ms "
        "| feed query ms (EXPLAIN ANALYZE) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| page 1 | {queries[0]} | {page1_med:.1f} | {percentile(page1_ms, 0.99):.1f} | "
        f"{in_process[FEED]:.1f} | {explains['page 1'][0]:.2f} |",
        f"| {depth} | {queries[1]} | {deep_med:.1f} | {percentile(deep_ms, 0.99):.1f} | "
        f"{in_process['deep']:.1f} | {explains['deep'][0]:.2f} |",
        f"| {depth}, query with `timestamp <= bound` added (proposed) | | | | | "
        f"{explains['deep, bounded'][0]:.2f} |",
        "",
        f"Deep / page 1, server medians: **{deep_med / page1_med:.2f}x** (goal <= 1.2x).",
        "",
        f"**Throughput.** {ARGS.connections} keep-alive connections, {ARGS.rounds} rounds of "
        f"{ARGS.duration}s per endpoint (interleaved, the server drained between runs) after a "
        "2s warm-up; medians over rounds. In-process ms as above.",
        "",
        "| endpoint | database connections | req/s | p50 ms | p99 ms | errors | vs bare "
        "| in-process ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    labels = {
        BARE: "bare: same bytes, plain view",
        BARE_DRF: "bare-drf: same bytes, JWT + throttle",
        FEED: "feed page 1",
    }
    for connections in (NEW_CONNECTION, POOL):
        if (connections, BARE) not in load_results:
            continue
        ceiling = med(load_results[(connections, BARE)], "requests_per_second")
        for path in (BARE, BARE_DRF, FEED):
            loads = load_results[(connections, path)]
            rps = med(loads, "requests_per_second")
            lines.append(
                f"| {labels[path]} | {connections} | {rps:,.0f} | {med(loads, 'p50_ms'):.1f} | "
                f"{med(loads, 'p99_ms'):.1f} | {sum(x.errors for x in loads)} | "
                f"{rps / ceiling:.2f} | {in_process[path]:.1f} |"
            )
    lines += ["", "<details><summary>Feed query plans (top lines)</summary>", ""]
    for name, (_, plan) in explains.items():
        lines += [f"{name}:", "", "```", _plan_lines(plan), "```", ""]
    lines.append("</details>")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
