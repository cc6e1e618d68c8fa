"""HTTP baseline: Django's /health/ against a bare ASGI JSON app, both on daphne.

Starts each server as a subprocess on a free loopback port, loads it with a
bounded client (wrk when installed, else a small asyncio client), repeats each
measurement, and appends the medians to BENCHMARKS.md with the command used.

    .venv/bin/python bench/http_baseline.py [--duration 5] [--connections 16] [--rounds 3]
"""

import argparse
import asyncio
import datetime
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "BENCHMARKS.md"


@dataclass
class Round:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, app: str, env: dict[str, str]):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), app],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, path: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url(path), timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer {path} within {timeout}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# --- load generators ----------------------------------------------------------


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, duration: int, connections: int) -> Round:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    return Round(
        requests_per_second=rps,
        p50_ms=_ms(*p50.groups()),
        p99_ms=_ms(*p99.groups()),
        errors=(int(errors.group(1)) if errors else 0) + (1 if socket_errors else 0),
    )


async def _python_load(host: str, port: int, path: str, duration: int, connections: int):
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + duration

    async def worker():
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - started) * 1000)
                if not head.startswith(b"HTTP/1.1 200"):
                    errors += 1
                if re.search(rb"(?i)connection:\s*close", head):
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, errors, time.monotonic() - started


def run_python(url: str, duration: int, connections: int) -> Round:
    match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    latencies, errors, elapsed = asyncio.run(_python_load(host, port, path, duration, connections))
    latencies.sort()
    return Round(
        requests_per_second=len(latencies) / elapsed,
        p50_ms=latencies[len(latencies) // 2],
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        errors=errors,
    )


# --- the benchmark ------------------------------------------------------------


def measure(run, url: str, args) -> list[Round]:
    run(url, 1, args.connections)  # warm-up
    return [run(url, args.duration, args.connections) for _ in range(args.rounds)]


def median(rounds: list[Round], field: str) -> float:
    return statistics.median(getattr(r, field) for r in rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--no-write", action="store_true", help="print, do not append")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    run = run_wrk if client == "wrk" else run_python

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }
    targets = [
        ("bare ASGI JSON (no Django)", "bench.bare_asgi:application", "/"),
        ("Django /health/", "config.asgi:application", "/health/"),
    ]
    results: list[tuple[str, list[Round]]] = []
    for label, app, path in targets:
        server = Server(app, env)
        try:
            server.wait(path)
            results.append((label, measure(run, server.url(path), args)))
        finally:
            server.stop()

    floor = median(results[0][1], "requests_per_second")
    command = "python bench/http_baseline.py " + " ".join(
        f"--{k} {v}"
        for k, v in (
            ("duration", args.duration),
            ("connections", args.connections),
            ("rounds", args.rounds),
            ("client", client),
        )
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()
    if commit and dirty:
        commit += " with uncommitted changes"
    database = "Postgres" if env.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    lines = [
        f"### HTTP baseline, {datetime.date.today().isoformat()}",
        "",
        f"- command: `{command}`",
        f"- machine: {os.cpu_count()} cores (load average {load:.2f} before the run), "
        f"Python {platform.python_version()}, "
        f"commit {commit or 'unknown'}; server: one daphne process on 127.0.0.1",
        f"- database: {database}, Redis: {'yes' if env.get('REDIS_URL') else 'no'} "
        "(/health/ touches neither)",
        f"- {args.rounds} rounds of {args.duration}s with {args.connections} keep-alive "
        f"connections after a 1s warm-up; medians over rounds",
        "",
        "| endpoint | req/s (median) | p50 ms | p99 ms | errors | req/s vs bare |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, rounds in results:
        rps = median(rounds, "requests_per_second")
        lines.append(
            f"| {label} | {rps:,.0f} | {median(rounds, 'p50_ms'):.2f} | "
            f"{median(rounds, 'p99_ms'):.2f} | {sum(r.errors for r in rounds)} | "
            f"{rps / floor:.2f} |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    if not args.no_write:
        with RESULTS.open("a") as results_file:
            results_file.write("\n" + report)


if __name__ == "__main__":
    main()
